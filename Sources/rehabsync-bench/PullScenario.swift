import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncReplica

/// `pull`: a fresh device pulls N records, page by page, joining nothing but parsing
/// each page as a replica would. Records/s and peak memory.
struct PullScenario {
    let records: Int
    let pageSize = 5_000
    let directory: URL

    func run() throws -> BenchmarkReport {
        let server = try LoopbackServer(directory: directory)
        defer { server.stop() }
        let unit = "SE2321000016-U0"
        let writer = try server.enrol(unit: unit)
        let wall = Int64(Date().timeIntervalSince1970 * 1_000)
        var start = 0
        while start < records {
            let count = min(1_000, records - start)
            let response = try server.client.send("POST", server.base + "/v1/sync/push", headers: ["Authorization": "Bearer \(writer.token)"],
                                                  body: try LoopbackServer.batch(device: writer, start: start, count: count, wall: wall))
            guard response.status == 200 else { throw BenchFailure("loading failed: \(response.status) \(response.bodyText)") }
            start += count
        }
        let reader = try server.enrol(unit: unit)
        progress("loaded \(records) records; pulling")
        var cursor: Int64 = 0
        var pulled = 0
        var decodeSeconds = 0.0
        let seconds = try measure {
            while true {
                let response = try server.client.send("GET", server.base + "/v1/sync/pull?since=\(cursor)&limit=\(pageSize)",
                                                      headers: ["Authorization": "Bearer \(reader.token)", "X-Clinician": "SE2321000016-N001"])
                guard response.status == 200 else { throw BenchFailure("pull failed: \(response.status)") }
                // Decoded as a replica decodes a page: every state in full, for joining.
                var page: PullPage?
                decodeSeconds += try measure { page = try PullPage(decoding: response.body, cursor: cursor) }
                guard let page else { throw BenchFailure("no page") }
                pulled += page.records.count
                cursor = page.nextCursor
                if !page.hasMore { break }
            }
        }
        guard pulled == records else { throw BenchFailure("pulled \(pulled) of \(records) records") }
        var report = BenchmarkReport(scenario: "pull", records: pulled, seconds: seconds,
                                     recordsPerSecond: Double(pulled) / seconds, rawRecordsPerSecond: nil)
        // What the server delivers, apart from the time this client spends decoding.
        report.extra = [("page_records", Double(pageSize)), ("client_decode_seconds", decodeSeconds),
                        ("delivery_records_per_s", Double(pulled) / max(seconds - decodeSeconds, 1e-9))]
        return report
    }
}
