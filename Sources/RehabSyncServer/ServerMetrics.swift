import RehabSyncHTTP
import Synchronization

/// Counters the server exposes at `/metrics` in Prometheus' text format. Gauges that live
/// in the database (open conflicts, devices by last seen) are read at scrape time.
public final class ServerMetrics: Sendable {
    /// Upper bounds of the latency histogram's buckets, in seconds.
    public static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct State {
        var requests: [String: Int] = [:]  // "route|status"
        var latencyCounts = [Int](repeating: 0, count: ServerMetrics.latencyBuckets.count)
        var latencySum = 0.0
        var latencyCount = 0
        var pushed = 0
        var pulled = 0
        var rechecked = 0
    }

    private let state = Mutex(State())

    public init() {}

    func recordsPushed(_ count: Int) { state.withLock { $0.pushed += count } }
    func recordsPulled(_ count: Int) { state.withLock { $0.pulled += count } }
    func recordRechecked() { state.withLock { $0.rechecked += 1 } }

    /// Pushed records whose merge, prepared on a reader, was out of date by the time the
    /// writer stored it (another push had changed the record) and was worked out and
    /// checked again inside the writer. Tests read it to know the path ran.
    public var recordsRechecked: Int { state.withLock { $0.rechecked } }

    /// Counts one answered request. Everything but the additions happens outside the lock:
    /// every worker calls this for every request, and waiting on a contended lock costs a
    /// context switch.
    public func observe(route: String, status: Int, seconds: Double) {
        let key = route + "|" + String(status)
        // The first bucket that holds it; the exposition accumulates them.
        let bucket = Self.latencyBuckets.firstIndex { seconds <= $0 }
        state.withLock { state in
            state.requests[key, default: 0] += 1
            if let bucket { state.latencyCounts[bucket] += 1 }
            state.latencySum += seconds
            state.latencyCount += 1
        }
    }

    /// The exposition text, with the database gauges supplied by the caller.
    public func exposition(openConflicts: Int, devicesByLastSeen: [(String, Int)],
                           connections: HTTPServerStatistics.Snapshot? = nil, storageFailing: Bool = false) -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        lines.append("# HELP rehabsync_http_requests_total HTTP requests answered, by route and status.")
        lines.append("# TYPE rehabsync_http_requests_total counter")
        for key in snapshot.requests.keys.sorted() {
            let parts = key.split(separator: "|", maxSplits: 1)
            lines.append("rehabsync_http_requests_total{route=\"\(parts[0])\",status=\"\(parts.count > 1 ? parts[1] : "")\"} \(snapshot.requests[key] ?? 0)")
        }
        lines.append("# HELP rehabsync_http_request_duration_seconds Time from request to response.")
        lines.append("# TYPE rehabsync_http_request_duration_seconds histogram")
        var cumulative = 0
        for (index, bound) in Self.latencyBuckets.enumerated() {
            cumulative += snapshot.latencyCounts[index]
            lines.append("rehabsync_http_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)")
        }
        lines.append("rehabsync_http_request_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.latencyCount)")
        lines.append("rehabsync_http_request_duration_seconds_sum \(snapshot.latencySum)")
        lines.append("rehabsync_http_request_duration_seconds_count \(snapshot.latencyCount)")
        lines.append("# HELP rehabsync_records_pushed_total Records changed by pushes.")
        lines.append("# TYPE rehabsync_records_pushed_total counter")
        lines.append("rehabsync_records_pushed_total \(snapshot.pushed)")
        lines.append("# HELP rehabsync_records_pulled_total Records delivered by pulls.")
        lines.append("# TYPE rehabsync_records_pulled_total counter")
        lines.append("rehabsync_records_pulled_total \(snapshot.pulled)")
        lines.append("# HELP rehabsync_push_records_rechecked_total Pushed records merged again inside the writer: another push had changed them.")
        lines.append("# TYPE rehabsync_push_records_rechecked_total counter")
        lines.append("rehabsync_push_records_rechecked_total \(snapshot.rechecked)")
        lines.append("# HELP rehabsync_open_conflicts Records with at least one field in conflict.")
        lines.append("# TYPE rehabsync_open_conflicts gauge")
        lines.append("rehabsync_open_conflicts \(openConflicts)")
        lines.append("# HELP rehabsync_devices Enrolled, unrevoked devices by when they were last seen.")
        lines.append("# TYPE rehabsync_devices gauge")
        for (bucket, count) in devicesByLastSeen {
            lines.append("rehabsync_devices{last_seen=\"\(bucket)\"} \(count)")
        }
        lines.append("# HELP rehabsync_storage_commit_failing 1 while the database cannot commit (disk full, read-only).")
        lines.append("# TYPE rehabsync_storage_commit_failing gauge")
        lines.append("rehabsync_storage_commit_failing \(storageFailing ? 1 : 0)")
        if let connections { lines += Self.connectionLines(connections) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The connection layer's counters: what it refused and rejected, and its load now.
    static func connectionLines(_ snapshot: HTTPServerStatistics.Snapshot) -> [String] {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ value: Int) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) gauge", "\(name) \(value)"]
        }
        func counter(_ name: String, _ help: String, by label: String, _ values: [String: Int]) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) counter"]
            for key in values.keys.sorted() { lines.append("\(name){\(label)=\"\(key)\"} \(values[key] ?? 0)") }
        }
        gauge("rehabsync_connections_open", "Connections open now.", snapshot.openConnections)
        gauge("rehabsync_requests_queued", "Complete requests waiting for a worker.", snapshot.queuedRequests)
        gauge("rehabsync_requests_in_handlers", "Requests a worker is handling.", snapshot.requestsInHandlers)
        gauge("rehabsync_response_bytes_buffered", "Response bytes not yet taken by clients' sockets.",
              snapshot.bufferedResponseBytes)
        counter("rehabsync_connections_refused_total", "Connections or requests refused with 503, by reason.",
                by: "reason", snapshot.refused)
        counter("rehabsync_http_rejections_total", "Requests refused by the parser or cut by a deadline, by reason.",
                by: "reason", snapshot.rejections)
        lines += ["# HELP rehabsync_http_503_total Responses with status 503, from any source.",
                  "# TYPE rehabsync_http_503_total counter",
                  "rehabsync_http_503_total \(snapshot.serviceUnavailableResponses)"]
        lines += ["# HELP rehabsync_connections_accepted_total Connections accepted.",
                  "# TYPE rehabsync_connections_accepted_total counter",
                  "rehabsync_connections_accepted_total \(snapshot.acceptedConnections)"]
        return lines
    }
}
