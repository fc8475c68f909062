import Foundation
import RehabSyncClient
import RehabSyncReplica
import Synchronization

/// `connections`: the server on a real network's worst day. It holds `idle` kept-alive
/// connections that never send, `slowLoris` clients that drip a header a byte a second
/// (reconnecting when cut), and `devices` that each pull and now and then push over their
/// own kept-alive connection, with a think time between rounds. Reported: requests/s, p50,
/// p99 and max latency of the devices' empty pulls, their errors and 503s, and the server
/// process's peak RSS. Then `wrk` against `/healthz` and against nginx serving a static
/// file (when both are installed), and slow readers of full pull pages on a fresh server.
struct ConnectionsScenario {
    var idle = 10_000
    var devices = 1_000
    var slowLoris = 200
    var seconds = 20
    /// Pause between a device's rounds, in milliseconds (jittered ±50%).
    var thinkMilliseconds = 1_000
    /// A device pushes one record every this many rounds.
    var pushEvery = 5
    var slowReaders = 8
    let directory: URL

    static let clinician = "SE2321000016-N001"

    func run() throws -> BenchmarkReport {
        raiseDescriptorLimit()
        let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 5, totalTimeoutSeconds: 60))
        let server = try ServerProcess(directory: directory.appendingPathComponent("connections"), settings: [
            "MAX_CONNECTIONS": String(idle + devices + slowLoris + 256),
            "IDLE_TIMEOUT_SECONDS": "600",
            "QUEUE_CAPACITY": String(devices + 64),
            "MAX_CLOCK_DRIFT_SECONDS": "31536000",
        ])
        defer { server.stop() }
        progress("server on port \(server.port); enrolling \(devices) devices")
        let enrolled = try enrolDevices(server: server, client: client)

        progress("opening \(idle) idle connections")
        var idleSockets: [BenchConnection] = []
        idleSockets.reserveCapacity(idle)
        for _ in 0..<idle {
            let connection = BenchConnection(port: server.port)
            try connection.connect()
            idleSockets.append(connection)
        }
        let control = RunControl()
        let port = server.port
        let loris = Thread { runSlowLoris(port: port, control: control) }
        loris.start()

        progress("running \(devices) devices for \(seconds) s")
        let results = Mutex(DeviceResults())
        let finished = DispatchGroup()
        let wall = Int64(Date().timeIntervalSince1970 * 1_000)
        for device in enrolled {
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                let outcome = runDevice(device, port: port, wall: wall, control: control)
                results.withLock { $0.merge(outcome) }
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        let measured = measure { Thread.sleep(forTimeInterval: Double(seconds)) }
        control.stop.store(true, ordering: .relaxed)
        finished.wait()
        let peakUnderLoad = server.peakResidentBytes()
        let totals = results.withLock { $0 }
        let metrics = (try? client.send("GET", server.base + "/metrics", headers: ["Authorization": "Bearer \(server.adminToken)"]))
            .map { $0.bodyText } ?? ""
        idleSockets.removeAll()

        var empty = totals.emptyPullSeconds.sorted()
        if empty.isEmpty { empty = [0] }
        func percentile(_ p: Double) -> Double { empty[min(empty.count - 1, Int(Double(empty.count - 1) * p))] * 1_000 }
        var report = BenchmarkReport(scenario: "connections", records: totals.requests, seconds: measured,
                                     recordsPerSecond: Double(totals.requests) / measured, rawRecordsPerSecond: nil)
        report.extra = [
            ("idle_connections", Double(idle)), ("devices", Double(devices)), ("slow_loris", Double(slowLoris)),
            ("requests", Double(totals.requests)), ("requests_per_s", Double(totals.requests) / measured),
            ("empty_pulls", Double(totals.emptyPullSeconds.count)),
            ("empty_pull_p50_ms", percentile(0.5)), ("empty_pull_p99_ms", percentile(0.99)),
            ("empty_pull_max_ms", percentile(1)),
            ("device_errors", Double(totals.errors)), ("device_503s", Double(totals.unavailable)),
            ("slow_loris_cut", Double(control.lorisCuts.load(ordering: .relaxed))),
            ("server_peak_rss_mib", Double(peakUnderLoad) / 1_048_576),
            ("server_connections_refused", Self.metric("rehabsync_connections_refused_total", in: metrics)),
        ]
        if let comparison = try StaticFileComparison.run(server: server, directory: directory) {
            report.extra += [("wrk_healthz_req_per_s", comparison.ours), ("wrk_nginx_static_req_per_s", comparison.nginx),
                             ("wrk_ratio", comparison.ours / comparison.nginx)]
        } else {
            progress("wrk or nginx not installed; skipping the comparison")
        }
        server.stop()
        if slowReaders > 0 {
            report.extra += try SlowReaders(count: slowReaders, directory: directory.appendingPathComponent("slow-readers")).run(client: client)
        }
        return report
    }

    /// The sum of every sample of a counter in Prometheus text.
    static func metric(_ name: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(name) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    private func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let needed = rlim_t(idle + devices + slowLoris + 512)
        if limit.rlim_cur < needed {
            progress("warning: descriptor limit \(limit.rlim_cur) is below the \(needed) this run needs")
        }
    }

    private func enrolDevices(server: ServerProcess, client: CurlHTTPClient) throws -> [LoopbackServer.Device] {
        let enrolled = Mutex<[Int: LoopbackServer.Device]>([:])
        let failure = Mutex<String?>(nil)
        let (base, adminToken) = (server.base, server.adminToken)
        DispatchQueue.concurrentPerform(iterations: 8) { lane in
            for index in stride(from: lane, to: devices, by: 8) {
                do {
                    let device = try LoopbackServer.enrol(unit: "SE2321000016-D\(index)", client: client, base: base, adminToken: adminToken)
                    enrolled.withLock { $0[index] = device }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
        }
        if let failure = failure.withLock({ $0 }) { throw BenchFailure(failure) }
        return enrolled.withLock { table in (0..<devices).compactMap { table[$0] } }
    }

    /// Shared between the bench's threads: when to stop, and what the slow-loris clients saw.
    final class RunControl: Sendable {
        let stop = Atomic<Bool>(false)
        let lorisCuts = Atomic<Int>(0)
    }

    struct DeviceResults: Sendable {
        var requests = 0
        var errors = 0
        var unavailable = 0
        var emptyPullSeconds: [Double] = []

        mutating func merge(_ other: DeviceResults) {
            requests += other.requests
            errors += other.errors
            unavailable += other.unavailable
            emptyPullSeconds += other.emptyPullSeconds
        }
    }

    /// One device's loop: pull from its cursor, every `pushEvery` rounds push one record,
    /// think, repeat; over one kept-alive connection.
    private func runDevice(_ device: LoopbackServer.Device, port: Int, wall: Int64, control: RunControl) -> DeviceResults {
        var results = DeviceResults()
        let connection = BenchConnection(port: port)
        let headers = [("Authorization", "Bearer \(device.token)"), ("X-Clinician", Self.clinician)]
        var cursor: Int64 = 0
        var round = 0
        var generator = SystemRandomNumberGenerator()
        // Spread the devices' first rounds over one think time, as real clinics are.
        Thread.sleep(forTimeInterval: Double.random(in: 0...Double(thinkMilliseconds) / 1_000, using: &generator))
        while !control.stop.load(ordering: .relaxed) {
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                let response = try connection.request("GET", "/v1/sync/pull?since=\(cursor)&limit=500", headers: headers)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                results.requests += 1
                if response.status == 200, let header = PullPage.cursor(peekingAt: response.body) {
                    if header.nextCursor == cursor { results.emptyPullSeconds.append(elapsed) }
                    cursor = header.nextCursor
                } else {
                    results.errors += 1
                    if response.status == 503 { results.unavailable += 1 }
                }
                if round % pushEvery == pushEvery - 1 {
                    let body = try LoopbackServer.batch(device: device, start: round, count: 1, wall: wall)
                    let pushed = try connection.request("POST", "/v1/sync/push", headers: headers, body: body)
                    results.requests += 1
                    if pushed.status != 200 {
                        results.errors += 1
                        if pushed.status == 503 { results.unavailable += 1 }
                    }
                }
            } catch {
                results.errors += 1
            }
            round += 1
            let think = Double(thinkMilliseconds) / 1_000
            Thread.sleep(forTimeInterval: Double.random(in: (think / 2)...(think * 1.5), using: &generator))
        }
        return results
    }

    /// `slowLoris` clients, each sending a header a byte a second and reconnecting when
    /// the server cuts it.
    private func runSlowLoris(port: Int, control: RunControl) {
        var clients = (0..<slowLoris).map { _ in BenchConnection(port: port) }
        let opening = Array("GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Drip: ".utf8)
        while !control.stop.load(ordering: .relaxed) {
            for index in clients.indices {
                let client = clients[index]
                if client.descriptor < 0 {
                    guard (try? client.connect()) != nil, client.send(opening) else { continue }
                } else if !client.send([UInt8(ascii: "x")]) {
                    control.lorisCuts.add(1, ordering: .relaxed)
                    client.close()
                    clients[index] = BenchConnection(port: port)
                }
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }
}
