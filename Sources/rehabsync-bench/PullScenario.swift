import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncReplica
import Synchronization

/// `pull`: a fresh device pulls N records, page by page, decoding each page as a replica
/// would but storing nothing: the figure is what the server and the wire deliver to a
/// client that keeps up. Records/s and peak memory.
struct PullScenario {
    let records: Int
    let pageSize = 5_000
    let directory: URL

    func run() throws -> BenchmarkReport {
        let server = try LoopbackServer(directory: directory)
        defer { server.stop() }
        let unit = "SE2321000016-U0"
        let writer = try server.enrol(unit: unit)
        try server.load(records, by: writer)
        let reader = try server.enrol(unit: unit)
        progress("loaded \(records) records; pulling")
        let pages = PageHandoff(capacity: 2)
        let fetchFailure = Mutex<BenchFailure?>(nil)
        var pulled = 0
        var decodeSeconds = 0.0
        let cpuBefore = processCPUSeconds()
        let seconds = try measure {
            // One thread fetches, reading each page's cursor from its opening bytes to ask
            // for the next at once; this one decodes, as a replica would, every state in
            // full for joining. Fetching and decoding overlap, one core each.
            let fetcher = Thread {
                var cursor: Int64 = 0
                defer { pages.put(nil) }
                do {
                    while true {
                        let response = try server.client.send(
                            "GET", server.base + "/v1/sync/pull?since=\(cursor)&limit=\(pageSize)",
                            headers: ["Authorization": "Bearer \(reader.token)", "X-Clinician": "SE2321000016-N001"])
                        guard response.status == 200 else { throw BenchFailure("pull failed: \(response.status)") }
                        pages.put(response.body)
                        guard let header = PullPage.cursor(peekingAt: response.body) else {
                            throw BenchFailure("a page does not begin with its cursor")
                        }
                        if !header.hasMore { break }
                        cursor = header.nextCursor
                    }
                } catch {
                    fetchFailure.withLock { $0 = error as? BenchFailure ?? BenchFailure("\(error)") }
                }
            }
            fetcher.start()
            var cursor: Int64 = 0
            while let body = pages.take() {
                var page: PullPage?
                decodeSeconds += try measure { page = try PullPage(decoding: body, cursor: cursor) }
                guard let page else { throw BenchFailure("no page") }
                pulled += page.records.count
                cursor = page.nextCursor
            }
        }
        let cpuSeconds = processCPUSeconds() - cpuBefore
        if let failure = fetchFailure.withLock({ $0 }) { throw failure }
        guard pulled == records else { throw BenchFailure("pulled \(pulled) of \(records) records") }
        var report = BenchmarkReport(scenario: "pull", records: pulled, seconds: seconds,
                                     recordsPerSecond: Double(pulled) / seconds, rawRecordsPerSecond: nil)
        report.extra = [("page_records", Double(pageSize)), ("client_decode_seconds", decodeSeconds),
                        ("cpu_microseconds_per_record", cpuSeconds * 1e6 / Double(max(pulled, 1)))]
        return report
    }
}
