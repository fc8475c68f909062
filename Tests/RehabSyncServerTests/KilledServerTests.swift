import Foundation
import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// The `rehabsync serve` process SIGKILLed (no drain, no checkpoint) at seeded points while
/// several devices push, and started again each time.
struct KilledServerTests {
    typealias F = ServerFixtures

    /// Where in a push a planned kill lands.
    enum KillPoint: Int, CaseIterable, Sendable, CustomStringConvertible {
        /// The server holds the request head and part of the body.
        case partOfBatchSent
        /// The server holds the whole batch; it may be checking or storing it.
        case wholeBatchSent
        /// The server answered 200, so it committed; the device drops the answer, as if
        /// the connection had failed just before it arrived.
        case answerReceived

        var description: String { ["part of a batch sent", "whole batch sent", "answer received"][rawValue] }
    }

    /// Kills in the short run; `REHABSYNC_KILL_ROUNDS=<n>` runs n kills (with ten batches
    /// per device per kill) for a long soak.
    static let kills = ProcessInfo.processInfo.environment["REHABSYNC_KILL_ROUNDS"].flatMap(Int.init) ?? 4
    static let devices = 3
    static let recordsPerBatch = 20
    static var batchesPerDevice: Int { max(12, kills * 10) }

    /// The server process and the seeded plan of kills, shared by the device threads. A
    /// kill and the restart after it happen under the lock, so a device that asks for the
    /// port gets the new server's.
    final class Crasher: @unchecked Sendable {
        // @unchecked: every stored var is touched only while holding `lock`.
        private let lock = NSLock()
        private let launch: () throws -> LaunchedServer
        private var server: LaunchedServer
        /// Planned kills, in order: (the push attempt from which it may fire, where).
        private var plan: [(attempt: Int, point: KillPoint)]
        private var attempts = 0
        /// Bytes of each device's batch the server has been sent and not acknowledged.
        private var unacknowledgedBytes = [Int](repeating: 0, count: KilledServerTests.devices)
        private(set) var killed: [(point: KillPoint, unacknowledgedBatches: Int, bytes: Int)] = []
        var failure: String?

        init(plan: [(Int, KillPoint)], launch: @escaping () throws -> LaunchedServer) throws {
            self.plan = plan
            self.launch = launch
            server = try launch()
        }

        var port: Int { lock.withLock { server.port } }
        var remainingPlan: Int { lock.withLock { plan.count } }
        var kills: [(point: KillPoint, unacknowledgedBatches: Int, bytes: Int)] { lock.withLock { killed } }

        /// A new push attempt; its number in the run.
        func beginAttempt() -> Int {
            lock.withLock {
                attempts += 1
                return attempts
            }
        }

        /// `device` has now sent `bytes` of a batch not yet acknowledged (0: acknowledged).
        func sent(_ bytes: Int, by device: Int) {
            lock.withLock { unacknowledgedBytes[device] = bytes }
        }

        /// Kills the server with SIGKILL if the plan's next kill is due at this point of
        /// this attempt, and starts it again. Returns whether it killed.
        @discardableResult
        func reached(_ point: KillPoint, attempt: Int) -> Bool {
            lock.withLock {
                guard let next = plan.first, next.point == point, attempt >= next.attempt else { return false }
                plan.removeFirst()
                let inFlight = unacknowledgedBytes.filter { $0 > 0 }
                killed.append((point, inFlight.count, inFlight.reduce(0, +)))
                restartHoldingLock()
                return true
            }
        }

        func finish() {
            lock.withLock { server.kill() }
        }

        /// Kills the server with SIGKILL now, out of any push, and starts it again; `meanwhile`
        /// runs once the kill has been reaped and before the restart. False if the restart failed.
        @discardableResult
        func killAndRestart(meanwhile: () -> Void = {}) -> Bool {
            lock.withLock { restartHoldingLock(meanwhile: meanwhile) }
        }

        /// SIGKILL, reap, then a new server on the same data directory; the caller holds `lock`.
        @discardableResult
        private func restartHoldingLock(meanwhile: () -> Void = {}) -> Bool {
            server.kill()
            meanwhile()
            do {
                server = try launch()
                return true
            } catch {
                failure = "restart after a kill failed: \(error)"
                return false
            }
        }
    }

    /// One device's log: the records of every batch whose acknowledgement arrived, and
    /// how many acknowledgements were lost and the batch sent again.
    struct DeviceLog: Sendable {
        var acknowledged: [(id: String, state: [UInt8])] = []
        var lostAcknowledgements = 0
        /// Batches sent again whose resend the server answered `changed: 0`: it had
        /// committed them before their acknowledgement was lost.
        var resentAfterCommitUnchanged = 0
        var failure: String?
    }

    /// The run's seed, `REHABSYNC_SEED` or else the clock, printed with how to replay it.
    static func announcedSeed(_ suite: String, _ detail: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["REHABSYNC_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970 * 1_000)
        print("\(suite) seed \(seed) (replay with REHABSYNC_SEED=\(seed)), \(detail)")
        return seed
    }

    @Test func killingTheServerMidSyncLosesNoAcknowledgedRecordAndAResentBatchIsStoredOnce() throws {
        let seed = Self.announcedSeed("KilledServerTests", "kills \(Self.kills)")
        var generator = SplitMix64(seed: seed)
        let scratch = try ServerScratch()
        let data = scratch.path("data")
        let totalAttempts = Self.devices * Self.batchesPerDevice
        // Spread the kills over the first two thirds of the pushes; the first three cover
        // every kind of point, the rest are drawn.
        let attempts = (0..<Self.kills).map { _ in 1 + Int(generator.next() % UInt64(totalAttempts * 2 / 3)) }.sorted()
        let plan = attempts.enumerated().map { index, attempt in
            (attempt, index < KillPoint.allCases.count ? KillPoint.allCases[index]
                                                      : KillPoint.allCases[Int(generator.next() % UInt64(KillPoint.allCases.count))])
        }
        let crasher = try Crasher(plan: plan) { try LaunchedServer(dataDirectory: data) }
        defer { crasher.finish() }

        let adminToken = try #require(try AdminTokenFile.read(at: data + "/admin-token"))
        let enrolled = try (0..<Self.devices).map { _ in
            try LaunchedServer.enrol(port: crasher.port, adminToken: adminToken, unit: F.unitA)
        }
        let splits = (0..<totalAttempts * 4).map { _ in 0.1 + Double(generator.next() % 800) / 1_000 }
        let logs = Mutex([DeviceLog](repeating: DeviceLog(), count: Self.devices))

        let done = DispatchGroup()
        for device in 0..<Self.devices {
            done.enter()
            Thread {
                let log = Self.pushAll(device: device, replica: enrolled[device].replica, token: enrolled[device].token,
                                       crasher: crasher, splits: splits)
                logs.withLock { $0[device] = log }
                done.leave()
            }.start()
        }
        #expect(done.wait(timeout: .now() + 120) == .success, "devices still pushing after 120 s")
        if let failure = crasher.failure { Issue.record(Comment(rawValue: failure)) }
        for log in logs.withLock({ $0 }) {
            if let failure = log.failure { Issue.record(Comment(rawValue: failure)) }
        }

        // Every planned kill landed while the server held bytes of a batch it had not
        // acknowledged, and each kind of point was hit.
        let kills = crasher.kills
        #expect(crasher.remainingPlan == 0, "\(crasher.remainingPlan) planned kills never came due")
        #expect(kills.count == Self.kills)
        for (index, kill) in kills.enumerated() {
            #expect(kill.unacknowledgedBatches >= 1 && kill.bytes > 0, "kill \(index + 1) (\(kill.point)) landed between batches")
        }
        #expect(Set(kills.map(\.point)).count == min(Self.kills, KillPoint.allCases.count))

        // The last server is killed too; a new one recovers the file and stops gracefully.
        crasher.finish()
        let last = try LaunchedServer(dataDirectory: data)
        #expect(last.terminateAndWait(), "the restarted server did not stop on SIGTERM")

        let device = logs.withLock { $0 }
        let acknowledged = device.flatMap(\.acknowledged)
        print("KilledServerTests: \(kills.count) kills (\(kills.map { "\($0.point), \($0.unacknowledgedBatches) batch(es) in flight" }.joined(separator: "; "))); "
            + "\(device.reduce(0) { $0 + $1.lostAcknowledgements }) acknowledgements lost and resent, "
            + "\(device.reduce(0) { $0 + $1.resentAfterCommitUnchanged }) committed batches resent and unchanged")
        #expect(acknowledged.count == Self.devices * Self.batchesPerDevice * Self.recordsPerBatch)
        #expect(device.reduce(0) { $0 + $1.lostAcknowledgements } >= kills.count)
        #expect(device.reduce(0) { $0 + $1.resentAfterCommitUnchanged } >= 1,
                "no batch the server had committed was sent again")

        try Self.expectStoredOnce(acknowledged, dataDirectory: data, seed: seed)
    }

    /// Every acknowledged record is in the server's file with the state the device sent, and
    /// the audit log records exactly one write of it: a batch resent after its answer was
    /// lost was not applied twice.
    static func expectStoredOnce(_ acknowledged: [(id: String, state: [UInt8])], dataDirectory data: String, seed: UInt64) throws {
        let database = try Connection(path: data + "/rehabsync.sqlite", readOnly: true, busyTimeoutMilliseconds: 1_000)
        let stored = Dictionary(uniqueKeysWithValues: try database.prepare("SELECT record_id, state FROM records").rows(nil) {
            (try $0.requireText(at: 0), $0.blob(at: 1))
        })
        #expect(stored.count == acknowledged.count, "the store holds \(stored.count) records for \(acknowledged.count) acknowledged")
        var writesPerRecord: [String: Int] = [:]
        for subjects in try database.prepare("SELECT subjects FROM audit WHERE action = 'write'").rows(nil, { $0.blob(at: 0) }) {
            // Either stored form: objects with a "record", or one clinician and positional
            // subjects whose second item is the record.
            let json = try JSONParser.parse(subjects)
            let ids = json.arrayValue?.map { $0.objectValue?["record"]?.stringValue }
                ?? (json.objectValue?["subjects"]?.arrayValue ?? []).map { $0.arrayValue.flatMap { $0.count == 4 ? $0[1].stringValue : nil } }
            for case let id? in ids { writesPerRecord[id, default: 0] += 1 }
        }
        var missing = 0
        var altered = 0
        var notOnce = 0
        for record in acknowledged {
            guard let bytes = stored[record.id] else {
                missing += 1
                continue
            }
            if bytes != record.state { altered += 1 }
            if writesPerRecord[record.id] != 1 { notOnce += 1 }
        }
        #expect(missing == 0, "\(missing) acknowledged records are missing (seed \(seed))")
        #expect(altered == 0, "\(altered) acknowledged records are stored with another state (seed \(seed))")
        #expect(notOnce == 0, "\(notOnce) acknowledged records were written other than once (seed \(seed))")
    }

    /// One device: pushes its batches, each over a raw connection sent in two parts with a
    /// kill point after each part and after the answer; a batch is sent again until its
    /// acknowledgement arrives.
    ///
    /// - Parameters:
    ///   - prefix: Put before every record id, so several calls push different records.
    ///   - values: The fields of the record named by its title.
    static func pushAll(device: Int, replica: ReplicaID, token: String, crasher: Crasher, splits: [Double],
                        batches: Int = batchesPerDevice, prefix: String = "", firstCounter: Int64 = 0,
                        values: (String) -> [String: JSONValue] = { F.plan(title: $0) }) -> DeviceLog {
        var log = DeviceLog()
        var counter = firstCounter
        let deadline = Date().addingTimeInterval(100)
        for batch in 0..<batches {
            var records: [(String, String, RecordState)] = []
            for index in 0..<recordsPerBatch {
                counter += 1
                guard let state = try? F.state(values("\(prefix)d\(device) b\(batch) r\(index)"), replica: replica, counter: counter) else {
                    log.failure = "could not build a state"
                    return log
                }
                records.append(("carePlans", "\(prefix)d\(device)-b\(batch)-r\(index)", state))
            }
            let body = F.body(records)
            let head = Array(("POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: \(body.count)\r\n\r\n").utf8)
            var resent = false
            while true {
                guard Date() < deadline else {
                    log.failure = "device \(device) gave up on batch \(batch) at the deadline"
                    return log
                }
                let attempt = crasher.beginAttempt()
                let cut = head.count + Int(Double(body.count) * splits[attempt % splits.count])
                let request = head + body
                guard let socket = try? RawSocket(port: crasher.port) else { continue }
                var answer: [UInt8] = []
                if (try? socket.send(Array(request[..<cut]))) != nil {
                    crasher.sent(cut, by: device)
                    if !crasher.reached(.partOfBatchSent, attempt: attempt), (try? socket.send(Array(request[cut...]))) != nil {
                        crasher.sent(request.count, by: device)
                        if !crasher.reached(.wholeBatchSent, attempt: attempt) {
                            answer = socket.receiveAll(timeout: 10)
                        }
                    }
                }
                socket.close()
                let text = String(decoding: answer, as: UTF8.self)
                let ok = text.hasPrefix("HTTP/1.1 200")
                if ok, crasher.reached(.answerReceived, attempt: attempt) {
                    // The answer is dropped: the device must send the batch again.
                    resent = true
                    log.lostAcknowledgements += 1
                    continue
                }
                guard ok else {
                    if !answer.isEmpty, !text.hasPrefix("HTTP/1.1 503") {
                        log.failure = "device \(device) batch \(batch) was refused: \(text.prefix(300))"
                        return log
                    }
                    log.lostAcknowledgements += 1
                    resent = true
                    continue
                }
                crasher.sent(0, by: device)
                if resent, text.contains(#""changed":0"#) { log.resentAfterCommitUnchanged += 1 }
                log.acknowledged += records.map { ($0.1, $0.2.canonicalBytes) }
                break
            }
        }
        return log
    }
}
