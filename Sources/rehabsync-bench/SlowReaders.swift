import Foundation
import RehabSyncClient

/// Slow readers of full pull pages, on a fresh server: each asks for the largest page
/// and then reads it at a trickle, then not at all. The server's peak RSS shows what such
/// clients cost: a page capped by bytes, written from the response as the socket drains.
struct SlowReaders {
    let count: Int
    let directory: URL
    /// Records loaded, enough that a page reaches the byte cap (about 1.3 KB each).
    var records = 6_000

    func run(client: CurlHTTPClient) throws -> [(key: String, value: Double)] {
        let server = try ServerProcess(directory: directory, settings: ["MAX_CLOCK_DRIFT_SECONDS": "31536000"])
        defer { server.stop() }
        let unit = "SE2321000016-S1"
        let writer = try server.enrol(unit: unit, client: client)
        let wall = Int64(Date().timeIntervalSince1970 * 1_000)
        for start in stride(from: 0, to: records, by: 1_000) {
            let response = try client.send("POST", server.base + "/v1/sync/push", headers: ["Authorization": "Bearer \(writer.token)"],
                                           body: try LoopbackServer.batch(device: writer, start: start, count: 1_000, wall: wall))
            guard response.status == 200 else { throw BenchFailure("loading failed: \(response.status)") }
        }
        let reader = try server.enrol(unit: unit, client: client)
        let before = server.peakResidentBytes()
        progress("\(count) slow readers of full pages")
        let request = Array(("GET /v1/sync/pull?since=0&limit=5000 HTTP/1.1\r\nHost: bench\r\n"
            + "Authorization: Bearer \(reader.token)\r\nX-Clinician: \(ConnectionsScenario.clinician)\r\n\r\n").utf8)
        let connections = try (0..<count).map { _ in
            let connection = BenchConnection(port: server.port)
            try connection.connect()
            connection.send(request)
            return connection
        }
        // A trickle: 4 KiB per reader every 100 ms for three seconds, then nothing.
        var scratch = [UInt8](repeating: 0, count: 4_096)
        var received = 0
        for _ in 0..<30 {
            for connection in connections {
                received += max(0, scratch.withUnsafeMutableBytes { recv(connection.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) })
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 2)
        let peak = server.peakResidentBytes()
        return [("slow_readers", Double(count)), ("slow_readers_bytes_read", Double(received)),
                ("slow_readers_server_peak_rss_mib", Double(peak) / 1_048_576),
                ("server_peak_rss_before_readers_mib", Double(before) / 1_048_576)]
    }
}
