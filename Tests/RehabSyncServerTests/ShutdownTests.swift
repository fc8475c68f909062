import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// The `rehabsync serve` process itself, stopped with SIGTERM while devices push.
struct ShutdownTests {
    typealias F = ServerFixtures

    @Test func sigtermDuringPushesLosesNothingThatWasAcknowledged() throws {
        let scratch = try ServerScratch()
        let root = TestExecutables.repositoryRoot
        let process = Process()
        process.executableURL = try TestExecutables.rehabsync()
        process.arguments = ["serve", "--config", root.appendingPathComponent("Config/rehabsync.json").path]
        process.environment = ["REHABSYNC_LISTEN": "127.0.0.1:0", "REHABSYNC_DATA_DIR": scratch.path("data"),
                               "REHABSYNC_SHUTDOWN_GRACE_SECONDS": "5", "REHABSYNC_MAX_CLOCK_DRIFT_SECONDS": "31536000"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The server says where it listens; port 0 makes it pick a free one.
        var log = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(10)
        while port == nil, Date() < deadline {
            log += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            if let range = log.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last ?? "")
            }
        }
        let base = "http://127.0.0.1:\(try #require(port, "server did not start: \(log)"))"
        let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 10))
        let adminToken = try #require(try AdminTokenFile.read(at: scratch.path("data/admin-token")))
        let enrolled = try client.send("POST", base + "/v1/admin/devices", headers: ["Authorization": "Bearer \(adminToken)"],
                                       body: Array(#"{"name":"Laptop","units":["\#(F.unitA)"]}"#.utf8))
        let body = try JSONParser.parse(enrolled.body).objectValue
        let token = try #require(body?["token"]?.stringValue)
        let replica = try #require(body?["replicaId"]?.stringValue.flatMap(ReplicaID.init))

        // Pushes of 20 records each, until the server stops answering.
        let acknowledged = Mutex<[String]>([])
        let hundredAcknowledged = DispatchSemaphore(value: 0)
        let pusherDone = DispatchSemaphore(value: 0)
        let pusher = Thread {
            defer { pusherDone.signal() }
            var counter: Int64 = 0
            for batch in 0..<1_000 {
                let records = (0..<20).compactMap { index -> (String, String, RecordState)? in
                    counter += 1
                    return (try? F.state(F.plan(title: "b\(batch)"), replica: replica, counter: counter)).map { ("carePlans", "p\(batch)-\(index)", $0) }
                }
                guard let response = try? client.send("POST", base + "/v1/sync/push", headers: ["Authorization": "Bearer \(token)"],
                                                      body: F.body(records)), response.status == 200
                else { return }
                let count = acknowledged.withLock { list in
                    list += records.map(\.1)
                    return list.count
                }
                if count >= 100, count - records.count < 100 { hundredAcknowledged.signal() }
            }
        }
        pusher.start()
        #expect(hundredAcknowledged.wait(timeout: .now() + 60) == .success, "100 records were not acknowledged within 60 s")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        // The pusher's last answer (or failure) is in before the acknowledgements are read.
        #expect(pusherDone.wait(timeout: .now() + 30) == .success)
        #expect(process.terminationStatus == 0)

        let database = try Connection(path: scratch.path("data/rehabsync.sqlite"), readOnly: true, busyTimeoutMilliseconds: 1_000)
        let stored = Set(try database.prepare("SELECT record_id FROM records").rows(nil) { try $0.requireText(at: 0) })
        let sent = acknowledged.withLock { $0 }
        #expect(sent.count >= 100)
        #expect(Set(sent).isSubset(of: stored), "\(Set(sent).subtracting(stored).count) acknowledged records were lost")
    }
}
