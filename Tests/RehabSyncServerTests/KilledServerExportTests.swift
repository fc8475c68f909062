import Foundation
import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage
import Testing

/// `rehabsync serve` SIGKILLed at seeded points of pushes, pulls and register export runs
/// (`rehabsync export run` on the same data directory, delivering to the reference
/// register `rehabsync register serve`), and started again on the same directory and port
/// once the kill has been reaped. Device replicas are `rehabsync replica` files.
struct KilledServerExportTests {
    typealias F = ServerFixtures
    typealias KillPoint = KilledServerTests.KillPoint

    /// Rounds in the short run; `REHABSYNC_EXPORT_KILL_ROUNDS=<n>` runs n for a long soak.
    /// Each round kills the server once in a push, once in a pull, and once in an export
    /// delivery (the server or the exporter, by turns from a seeded start).
    static let rounds = ProcessInfo.processInfo.environment["REHABSYNC_EXPORT_KILL_ROUNDS"].flatMap(Int.init) ?? 2
    static let batchesPerRound = 5
    /// Pulls a device has in flight, on connections of their own, when the server is killed.
    static let pullsInFlight = 12
    static let job = "monthly-register-export"
    static let period = "2026-10"
    static let repository = TestExecutables.repositoryRoot.path

    /// What dies while the register holds a delivery it has not answered yet.
    enum ExportVictim: Int, CaseIterable, CustomStringConvertible {
        /// `rehabsync export run`: its ledger keeps the delivery pending, its lease stays.
        case exporter
        /// `rehabsync serve`, under the exporter's feet (both write the same file).
        case server

        var description: String { ["exporter", "server"][rawValue] }
    }

    /// A care plan established in the reported month, so that every push changes the figures.
    static func plan(_ title: String) -> [String: JSONValue] {
        var values = F.plan(title: title)
        values["established"] = .string("\(period)-\(10 + title.count % 19)")
        return values
    }

    @Test func killsDuringPushPullAndExportLoseNoAcknowledgedWriteAndTheRegisterCountsNoMonthTwice() throws {
        let seed = KilledServerTests.announcedSeed("KilledServerExportTests", "rounds \(Self.rounds)")
        var generator = SplitMix64(seed: seed)
        let scratch = try ServerScratch()
        let data = scratch.path("data")
        let register = try ReferenceRegisterProcess(directory: scratch.path("register"))

        // The first start picks the port; every restart asks for it again, so the replica
        // files (which keep the server's URL) find the server after each kill.
        let first = try LaunchedServer(dataDirectory: data)
        let port = first.port
        let url = "http://127.0.0.1:\(port)"
        let adminToken = try #require(try AdminTokenFile.read(at: data + "/admin-token"))
        let writer = try LaunchedServer.enrol(port: port, adminToken: adminToken, unit: F.unitA)
        var replicas: [String] = []
        for index in 0..<2 {
            let device = try LaunchedServer.enrol(port: port, adminToken: adminToken, unit: F.unitA)
            let tokenFile = scratch.path("token-\(index)")
            try OwnerOnlyFiles.createFile(atPath: tokenFile)
            try Data(device.token.utf8).write(to: URL(fileURLWithPath: tokenFile))
            let database = scratch.path("replica-\(index).sqlite")
            let created = try RehabsyncCommand.run(["replica", "init", "--db", database, "--server", url, "--token-file", tokenFile,
                                                    "--clinician", F.nurse, "--config-dir", Self.repository + "/Config"])
            try #require(created.status == 0, "replica init: \(created.errors)")
            replicas.append(database)
        }
        #expect(first.terminateAndWait())

        // One push kill per round at a seeded attempt and point; the points take turns from
        // a seeded start so that even the short run covers more than one.
        let B = Self.batchesPerRound
        let offset = Int(generator.next() % UInt64(KillPoint.allCases.count))
        let plan = (0..<Self.rounds).map { round in
            (round * B + 1 + Int(generator.next() % UInt64(B - 1)), KillPoint.allCases[(offset + round) % KillPoint.allCases.count])
        }
        let crasher = try KilledServerTests.Crasher(plan: plan) { try LaunchedServer(dataDirectory: data, port: port) }
        defer { crasher.finish() }
        let splits = (0..<256).map { _ in 0.1 + Double(generator.next() % 800) / 1_000 }
        let victimOffset = Int(generator.next() % 2)

        let environment = ["REHABSYNC_DATA_DIR": data, "REHABSYNC_JOBS_DIR": Self.repository + "/Jobs",
                           "REHABSYNC_REGISTER_URL": register.bundleURL, "REHABSYNC_LOG_LEVEL": "critical"]
        let export = ["export", "run", "--job", Self.job, "--period", Self.period, "--config", Self.repository + "/Config/rehabsync.json"]
        var acknowledged: [(id: String, state: [UInt8])] = []
        var cutPulls: [Int] = []
        var exportKills: [(victim: ExportVictim, midDelivery: Bool)] = []
        var replicaSyncsThroughKills = 0

        for round in 0..<Self.rounds {
            // Push: the writer's batches, the server killed once at the planned point.
            let log = KilledServerTests.pushAll(device: 0, replica: writer.replica, token: writer.token, crasher: crasher, splits: splits,
                                                batches: B, prefix: "r\(round)-",
                                                firstCounter: Int64(round * B * KilledServerTests.recordsPerBatch), values: Self.plan)
            if let failure = log.failure { Issue.record(Comment(rawValue: "\(failure) (seed \(seed))")) }
            acknowledged += log.acknowledged

            // Pull: a device asks for the whole unit on several connections at once and the
            // server dies as the first answer arrives, while a replica syncs through the kill.
            let syncing = try RehabsyncCommand.start(["replica", "sync", "--db", replicas[round % 2],
                                                      "--config-dir", Self.repository + "/Config"])
            // On a loaded machine every answer can occasionally be whole before the kill
            // lands; such a kill proves nothing about a cut pull, so the pulls are asked
            // for and the server killed again, three times at most.
            var cut = 0
            for _ in 0..<3 where cut == 0 {
                let pulls = try (0..<Self.pullsInFlight).map { _ in
                    let client = try TestClient(port: crasher.port, timeout: .seconds(10), receiveBufferBytes: 2_048)
                    try client.send("GET /v1/sync/pull?since=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(writer.token)\r\n"
                        + "X-Clinician: \(F.nurse)\r\nConnection: close\r\n\r\n")
                    return client
                }
                // Killed as soon as the first answer starts to arrive, the others still on their way.
                #expect(Self.waitUntilReadable(pulls[0].fd, deadline: 20), "no pull was answered (seed \(seed))")
                var answers: [[UInt8]] = []
                crasher.killAndRestart { answers = pulls.map { Self.receiveUntilClosed($0.fd) } }
                cut = answers.filter { !Self.isWholeResponse($0) }.count
            }
            cutPulls.append(cut)
            let synced = try RehabsyncCommand.finish(syncing.process, output: syncing.output, errors: syncing.errors, deadline: 120)
            if synced.status == 0 { replicaSyncsThroughKills += 1 }

            // Export: the register receives a report and delays its answer; meanwhile the
            // exporter or the server is killed. A killed exporter's lease would hold the
            // month for 15 minutes: the test lets it lapse at once.
            let victim = ExportVictim.allCases[(victimOffset + round) % 2]
            try Self.expireLeases(data)
            // The delay only has to outlast the moment between the register counting the
            // delivery and the kill; each delay holds one of the register's four workers.
            try register.control("slow", #"{"count":1,"milliseconds":\#(victim == .exporter ? 2_000 : 1_500)}"#)
            let before = try register.received().requests
            let exporting = try RehabsyncCommand.start(export, environment: environment)
            let midDelivery = try register.waitForRequests(moreThan: before, deadline: 30) { exporting.process.isRunning }
                && exporting.process.isRunning
            switch victim {
            case .exporter:
                kill(exporting.process.processIdentifier, SIGKILL)
                let ended = try RehabsyncCommand.finish(exporting.process, output: exporting.output, errors: exporting.errors, deadline: 20)
                #expect(ended.signalled, "the exporter ended before its kill: \(ended.output) \(ended.errors) (seed \(seed))")
                // The register's answer never reached the ledger: the delivery is still pending.
                #expect(try Self.pendingDeliveries(data) >= 1, "the killed exporter had settled every delivery (seed \(seed))")
            case .server:
                crasher.killAndRestart()
                let ended = try RehabsyncCommand.finish(exporting.process, output: exporting.output, errors: exporting.errors, deadline: 60)
                #expect(ended.status == 0, "the export run beside a killed server failed: \(ended.errors) (seed \(seed))")
            }
            exportKills.append((victim, midDelivery))
        }
        if let failure = crasher.failure { Issue.record(Comment(rawValue: "\(failure) (seed \(seed))")) }

        // The last server is killed too; a new one recovers the file. The month is exported
        // once more without a kill, and the replicas sync.
        crasher.finish()
        let last = try LaunchedServer(dataDirectory: data, port: port)
        try Self.expireLeases(data)
        let final = try RehabsyncCommand.run(export, environment: environment)
        #expect(final.status == 0, "the export after the last restart failed: \(final.errors) (seed \(seed))")
        var dumps: [String] = []
        for database in replicas {
            let synced = try RehabsyncCommand.run(["replica", "sync", "--db", database, "--config-dir", Self.repository + "/Config"])
            #expect(synced.status == 0, "replica sync after the last restart: \(synced.errors) (seed \(seed))")
            dumps.append(try RehabsyncCommand.run(["replica", "dump", "--db", database, "--config-dir", Self.repository + "/Config"]).output)
        }
        let admin = ["--server", url, "--data-dir", data]
        let serverDump = try RehabsyncCommand.run(["admin", "dump", "--unit", F.unitA] + admin)
        #expect(serverDump.status == 0)
        let verified = try RehabsyncCommand.run(["admin", "audit", "verify"] + admin)
        #expect(verified.status == 0, "the audit chain does not verify after the kills: \(verified.output) \(verified.errors) (seed \(seed))")
        #expect(last.terminateAndWait(), "the restarted server did not stop on SIGTERM")

        // Every kill landed mid-operation.
        let pushKills = crasher.kills
        #expect(crasher.remainingPlan == 0, "\(crasher.remainingPlan) planned push kills never came due (seed \(seed))")
        for (index, kill) in pushKills.enumerated() {
            #expect(kill.unacknowledgedBatches >= 1 && kill.bytes > 0, "push kill \(index + 1) (\(kill.point)) landed between batches (seed \(seed))")
        }
        for (index, cut) in cutPulls.enumerated() {
            #expect(cut >= 1, "pull kill \(index + 1) came after all \(Self.pullsInFlight) pages had arrived whole (seed \(seed))")
        }
        for (index, kill) in exportKills.enumerated() {
            #expect(kill.midDelivery, "export kill \(index + 1) (\(kill.victim)) did not land during a delivery (seed \(seed))")
        }
        print("KilledServerExportTests: push kills \(pushKills.map { "\($0.point)" }.joined(separator: ", ")); "
            + "pulls cut short or unanswered per kill \(cutPulls.map { "\($0) of \(Self.pullsInFlight)" }.joined(separator: ", ")); "
            + "export kills \(exportKills.map { "\($0.victim)" }.joined(separator: ", ")); "
            + "\(replicaSyncsThroughKills) of \(Self.rounds) replica syncs completed through a kill")

        // Every acknowledged write is stored once; the replicas hold what the server holds.
        try KilledServerTests.expectStoredOnce(acknowledged, dataDirectory: data, seed: seed)
        #expect(serverDump.output.split(separator: "\n").count == acknowledged.count)
        for (index, dump) in dumps.enumerated() {
            #expect(dump == serverDump.output, "replica \(index)'s dump differs from the server's (seed \(seed))")
        }

        try Self.expectEachMonthCountedOnce(register: register, data: data, seed: seed)
    }

    /// The register holds each (unit, month, revision) once, was never sent one key with
    /// two contents, holds exactly what the ledger says it delivered, and its latest
    /// revision of each month is the ledger's latest.
    static func expectEachMonthCountedOnce(register: ReferenceRegisterProcess, data: String, seed: UInt64) throws {
        let keys = try register.storedKeys()
        var revisions: [String: [Int]] = [:]
        for key in keys {
            let parts = key.split(separator: "/")
            try #require(parts.count == 4, "stored key \(key)")
            revisions["\(parts[1]) \(parts[2])", default: []].append(Int(parts[3].dropFirst()) ?? 0)
        }
        let received = try register.received()
        #expect(received.accepted.count == keys.count, "the register lists \(received.accepted.count) bundles and stores \(keys.count) files")
        #expect(received.answers["409"] == nil, "a key was sent again with other content (seed \(seed))")
        for (month, numbers) in revisions {
            #expect(numbers.sorted() == Array(1...numbers.count), "\(month) is stored as revisions \(numbers.sorted()) (seed \(seed))")
        }
        #expect(revisions.keys.sorted() == ["\(F.unitA) \(period)"], "months in the register: \(revisions.keys.sorted())")

        let database = try Connection(path: data + "/rehabsync.sqlite", readOnly: true, busyTimeoutMilliseconds: 1_000)
        let ledger = try database.prepare("SELECT idempotency_key, state, payload_hash FROM export_deliveries ORDER BY id").rows(nil) {
            (key: try $0.requireText(at: 0), state: try $0.requireText(at: 1), hash: try $0.requireText(at: 2))
        }
        #expect(ledger.allSatisfy { $0.state == "delivered" }, "ledger states \(ledger.map(\.state)) (seed \(seed))")
        #expect(Set(ledger.map(\.key)) == Set(keys), "the ledger's keys and the register's differ (seed \(seed))")
        let hashes = Dictionary(uniqueKeysWithValues: received.accepted.compactMap { entry -> (String, String)? in
            guard let key = entry.objectValue?["key"]?.stringValue, let hash = entry.objectValue?["sha256"]?.stringValue else { return nil }
            return (key, hash)
        })
        for delivery in ledger {
            #expect(hashes[delivery.key] == delivery.hash, "the register holds other bytes for \(delivery.key) (seed \(seed))")
        }
        #expect(revisions.values.first?.count ?? 0 >= 2, "no month was corrected, so no revision was tested")
    }

    /// Deliveries the ledger has stored and not yet seen answered.
    static func pendingDeliveries(_ data: String) throws -> Int {
        let database = try Connection(path: data + "/rehabsync.sqlite", readOnly: true, busyTimeoutMilliseconds: 5_000)
        return try database.prepare("SELECT count(*) FROM export_deliveries WHERE state = 'pending'").rows(nil) { $0.int64(at: 0) }
            .first.map { Int($0) } ?? 0
    }

    /// Lets every export lease lapse: stands for the 15 minutes after which a killed run's
    /// lease is free, which the test does not wait for.
    static func expireLeases(_ data: String) throws {
        let database = try Connection(path: data + "/rehabsync.sqlite", readOnly: false, busyTimeoutMilliseconds: 5_000)
        try database.execute("UPDATE export_leases SET expires_at = 0")
    }

    /// Waits until `descriptor` has bytes to read (or was closed); false at the deadline.
    static func waitUntilReadable(_ descriptor: Int32, deadline seconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, seconds * 1_000) == 1
    }

    /// Whether `bytes` hold a whole 200 answer: its head and as many body bytes as it announced.
    static func isWholeResponse(_ bytes: [UInt8]) -> Bool {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 200"),
              let line = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
              let length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
        else { return false }
        return bytes.count - end.upperBound == length
    }

    /// Everything received until the peer closes (or resets) the connection.
    static func receiveUntilClosed(_ descriptor: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1_024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return received }
            received += chunk[0..<count]
        }
    }
}
