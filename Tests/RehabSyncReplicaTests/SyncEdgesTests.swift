import Dispatch
import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReplica
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// What a real clinic meets at the edges of sync: concurrent completion, a wrong clock,
/// a restored replica file, a token on two laptops, a handover withdrawn, a resolution
/// made while more values arrived.
struct SyncEdgesTests {
    typealias E2E = ReplicaEndToEndTests

    /// A copy of a replica's file and its WAL, as a backup or a copied disk would hold it.
    static func copyReplicaFiles(from source: String, to destination: String) throws {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: destination + suffix)
        }
    }

    static func assessment(_ reference: ReferenceData, answer: Int64, status: String) throws -> [String: JSONValue] {
        let definition = try #require(reference.questionnaires["example-problem-areas@1"])
        return [
            "patient": .string(E2E.patient), "careUnits": .array([.string(E2E.unit)]),
            "questionnaire": .string("example-problem-areas"), "questionnaireVersion": .string("1"),
            "answers": .object(Dictionary(uniqueKeysWithValues: definition.items.map { ($0.id, JSONValue.integer(answer)) })),
            "timepoint": .string("diagnosis"), "source": .string("patient"), "authored": .string("2026-01-10T09:00:00Z"),
            "status": .string(status),
        ]
    }

    @Test func aCompletionAndAnOfflineEditOfTheSameAssessmentBecomeAConflictNotARefusal() throws {
        let world = try E2E.World(replicaCount: 2)
        let (a, b) = (world.replicas[0], world.replicas[1])
        try a.write(collection: "assessments", id: "as-1", values: try Self.assessment(world.reference, answer: 1, status: "inProgress"))
        _ = try a.sync()
        _ = try b.sync()
        // A completes the assessment with its final answers; B, offline, edits the answers.
        try a.write(collection: "assessments", id: "as-1", values: ["answers": try Self.assessment(world.reference, answer: 2, status: "completed")["answers"]!, "status": .string("completed")])
        try b.write(collection: "assessments", id: "as-1", values: ["answers": try Self.assessment(world.reference, answer: 3, status: "inProgress")["answers"]!])
        _ = try a.sync()
        let report = try b.sync()
        _ = try a.sync()
        #expect(report.setAside.isEmpty)
        #expect(try a.pendingCount() == 0 && b.pendingCount() == 0)
        let state = try #require(try b.record(collection: "assessments", id: "as-1")).state()
        #expect(state["answers"]?.siblings.count == 2)
        #expect(state.provisionalValues["status"] == .string("completed"))
        #expect(try a.dump() == world.serverDump())
        #expect(try b.dump() == world.serverDump())
        // A clinician resolves the conflict by keeping one of its values: allowed on a
        // completed assessment, which stays completed.
        let shown = try #require(state["answers"]).siblings
        try b.resolve(collection: "assessments", id: "as-1", field: "answers", value: shown[0].value, seen: shown.map(\.dot))
        let resolved = try b.sync()
        #expect(resolved.setAside.isEmpty && resolved.pushed == 1)
        let after = try #require(try b.record(collection: "assessments", id: "as-1")).state()
        #expect(after["answers"]?.siblings.count == 1)
        #expect(after.provisionalValues["status"] == .string("completed"))
        #expect(try b.dump() == world.serverDump())
    }

    @Test func aCopyOfAReplicaFileThatRotatedAwayIsAStrangerToTheToken() throws {
        let world = try E2E.World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let original = world.replicas[0]
        try original.write(collection: "carePlans", id: "p1", values: E2E.plan("Before the copy"))
        _ = try original.sync()
        let copyPath = world.directory.appendingPathComponent("copy.sqlite").path
        try Self.copyReplicaFiles(from: path, to: copyPath)
        let copy = try Replica(path: copyPath, reference: world.reference, retry: RetryPolicy(maximumAttempts: 1))
        // Both hand out the same next counter for different writes.
        try original.write(collection: "carePlans", id: "p2", values: E2E.plan("On the original"))
        try copy.write(collection: "carePlans", id: "p3", values: E2E.plan("On the copy"))
        _ = try original.sync()
        let report = try copy.sync()
        #expect(report.setAside.isEmpty)
        // The copy took a new replica id and a new instance; the original is now refused
        // with a clear error rather than writing beside it under the same id.
        #expect { try original.sync() } throws: { ($0 as? ReplicaError)?.description.contains("token_in_use") == true }
        let titles = try world.server.service.store.read { queries in
            try ["p1", "p2", "p3"].map { try queries.record(RecordKey(collection: "carePlans", recordID: $0))?.state().provisionalValues["title"] }
        }
        #expect(titles == [.string("Before the copy"), .string("On the original"), .string("On the copy")])
    }

    @Test func anEditMadeAfterSeeingTheCompletionIsSetAsideAndTheDeviceKeepsSyncing() throws {
        let world = try E2E.World(replicaCount: 2)
        let (a, b) = (world.replicas[0], world.replicas[1])
        try a.write(collection: "assessments", id: "as-1", values: try Self.assessment(world.reference, answer: 1, status: "completed"))
        _ = try a.sync()
        _ = try b.sync()
        // Forge what a buggy or old device might send: an edit on top of the completed
        // state. The replica's own rules refuse it, so go around them through the store.
        try b.store.write { transaction, connection in
            let stored = try transaction.write(RecordKey(collection: "assessments", recordID: "as-1"),
                                               values: ["timepoint": .string("treatmentEnd")], author: "SE2321000016-N001",
                                               wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000))
            try connection.execute("INSERT INTO pending (collection, record_id, seq) VALUES ('assessments', 'as-1', \(stored.sequence))")
        }
        try b.write(collection: "carePlans", id: "plan-b", values: E2E.plan("Still syncs"))
        let report = try b.sync()
        let aside = try #require(report.setAside.first)
        #expect(aside.code == "validation_failed" && aside.message.contains("assessment.completed"))
        #expect(aside.values == ["timepoint": .string("treatmentEnd")])
        #expect(report.pushed == 1)
        #expect(report.digestMatches)
        #expect(try b.pendingCount() == 0)
        // The clinician discards it; nothing else changes.
        try b.discardSetAside(aside.id)
        #expect(try b.setAsideWrites().isEmpty)
        #expect(try b.dump() == world.serverDump())
    }

    @Test func aClockFiveYearsAheadForOneWriteDoesNotLockTheDeviceOut() throws {
        let world = try E2E.World(replicaCount: 1)
        let offset = Mutex<Int64>(0)
        let device = try Replica(path: world.directory.appendingPathComponent("replica-0.sqlite").path, reference: world.reference,
                                 retry: RetryPolicy(maximumAttempts: 1),
                                 now: { Int64(Date().timeIntervalSince1970 * 1_000) + offset.withLock { $0 } })
        offset.withLock { $0 = 5 * 365 * 86_400_000 }
        try device.write(collection: "carePlans", id: "jump", values: E2E.plan("Written while the clock was wrong"))
        offset.withLock { $0 = 0 }
        try device.write(collection: "carePlans", id: "after", values: E2E.plan("Written once the clock was right"))
        let report = try device.sync()
        #expect(report.setAside.isEmpty)
        #expect(report.pushed == 2)
        try device.write(collection: "carePlans", id: "later", values: E2E.plan("And later"))
        #expect(try device.sync().pushed == 1)
        #expect(try device.dump() == world.serverDump())
        // No reading the device took is past what the server accepts.
        let newest = try device.list().flatMap { try $0.state().fields.flatMap(\.siblings) }.map(\.hlc.milliseconds).max() ?? 0
        #expect(newest <= Int64(Date().timeIntervalSince1970 * 1_000) + 10 * 60 * 1_000)
    }

    @Test func aReplicaRestoredFromACopyTakenBeforeItsLastSyncLosesNoWrite() throws {
        let world = try E2E.World(replicaCount: 2)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let device = world.replicas[0]
        try device.write(collection: "carePlans", id: "p1", values: E2E.plan("First"))
        _ = try device.sync()
        // The backup: a copy of the replica's files as they stand now.
        let backup = world.directory.appendingPathComponent("backup.sqlite").path
        try Self.copyReplicaFiles(from: path, to: backup)
        // Work after the backup reaches the server, then the laptop's disk is lost.
        try device.write(collection: "carePlans", id: "p2", values: E2E.plan("After the backup"))
        try device.write(collection: "carePlans", id: "p1", values: ["title": .string("First, edited after the backup")])
        _ = try device.sync()
        let restoredPath = world.directory.appendingPathComponent("restored.sqlite").path
        try Self.copyReplicaFiles(from: backup, to: restoredPath)
        let restored = try Replica(path: restoredPath, reference: world.reference, retry: RetryPolicy(maximumAttempts: 1))
        let oldID = restored.store.replicaID
        // Offline, the restored file hands out the counters the lost file already used.
        try restored.write(collection: "carePlans", id: "p3", values: E2E.plan("Written on the restored file"))
        try restored.write(collection: "carePlans", id: "p1", values: ["status": .string("active")])
        let report = try restored.sync()
        #expect(report.setAside.isEmpty)
        #expect(restored.store.replicaID != oldID)
        _ = try world.replicas[1].sync()
        let server = try world.server.service.store.read { queries in
            try ["p1", "p2", "p3"].map { try queries.record(RecordKey(collection: "carePlans", recordID: $0))?.state().provisionalValues }
        }
        #expect(server[0]?["title"] == .string("First, edited after the backup"))
        #expect(server[0]?["status"] == .string("active"))
        #expect(server[1]?["title"] == .string("After the backup"))
        #expect(server[2]?["title"] == .string("Written on the restored file"))
        #expect(try restored.dump() == world.serverDump())
        #expect(try world.replicas[1].dump() == world.serverDump())
    }

    @Test func aTokenAlreadyUsedByAnotherReplicaFileIsRefusedWithAClearError() throws {
        let world = try E2E.World(replicaCount: 1)
        let second = world.directory.appendingPathComponent("second-laptop.sqlite").path
        try Replica.create(path: second, server: "http://127.0.0.1:\(world.port)", token: world.tokens[0],
                           clinician: "SE2321000016-N000", offline: true)
        let laptop = try Replica(path: second, reference: world.reference, retry: RetryPolicy(maximumAttempts: 1))
        try laptop.write(collection: "carePlans", id: "x", values: E2E.plan("On the second laptop"))
        #expect { try laptop.sync() } throws: { error in
            (error as? ReplicaError)?.description.contains("token_in_use") == true
        }
        #expect(try laptop.pendingCount() == 1)
        #expect(try world.server.service.store.read { try $0.record(RecordKey(collection: "carePlans", recordID: "x")) } == nil)
    }

    /// A handover from the world's unit to unit B, synced to a device of B; returns the
    /// sending and the receiving replica.
    static func handedOver(_ world: E2E.World) throws -> (sender: Replica, receiver: Replica) {
        let unitB = "SE2321000016-B002"
        let (_, tokenB) = try world.server.service.enrol(name: "Unit B", units: [unitB])
        let pathB = world.directory.appendingPathComponent("unit-b.sqlite").path
        try Replica.create(path: pathB, server: "http://127.0.0.1:\(world.port)", token: tokenB, clinician: "SE2321000016-N009")
        let receiver = try Replica(path: pathB, reference: world.reference, retry: RetryPolicy(maximumAttempts: 1))
        let sender = world.replicas[0]
        try sender.write(collection: "carePlans", id: "plan-1", values: E2E.plan("Travels with the handover"))
        try sender.write(collection: "handovers", id: "h1", values: [
            "patient": .string(E2E.patient), "sendingUnit": .string(E2E.unit), "receivingUnit": .string(unitB),
            "carePlan": .string("plan-1"), "summary": .string("Behov av fysioterapi"), "status": .string("initiated"),
        ])
        _ = try sender.sync()
        _ = try receiver.sync()
        return (sender, receiver)
    }

    static let voided: [String: JSONValue] = ["voided": .object(["reason": .string("Fel mottagare"), "by": .string("SE2321000016-N000")])]

    @Test func aVoidedHandoverTakesThePlanAwayFromTheReceivingUnitsDevice() throws {
        let world = try E2E.World(replicaCount: 1)
        let (sender, receiver) = try Self.handedOver(world)
        #expect(try receiver.record(collection: "carePlans", id: "plan-1") != nil)
        // The sender stays responsible until the receiver confirms: it cannot confirm itself.
        try sender.write(collection: "handovers", id: "h1", values: ["status": .string("contactConfirmed")])
        let refused = try sender.sync()
        #expect(refused.setAside.first?.status == 403)
        // The handover is voided: the plan's grant lapses, and the next pull says so.
        try sender.write(collection: "handovers", id: "h1", values: Self.voided)
        _ = try sender.sync()
        let report = try receiver.sync()
        #expect(report.removed == 1)
        #expect(try receiver.record(collection: "carePlans", id: "plan-1") == nil)
        #expect(report.digestMatches)
    }

    @Test func anEditOfAPlanWhoseHandoverWasVoidedMeanwhileIsKeptWithTheReason() throws {
        let world = try E2E.World(replicaCount: 1)
        let (sender, receiver) = try Self.handedOver(world)
        try sender.write(collection: "handovers", id: "h1", values: Self.voided)
        _ = try sender.sync()
        // Meanwhile the receiving unit, offline, had edited the plan.
        try receiver.write(collection: "carePlans", id: "plan-1", values: ["summary": .string("Edited by the receiving unit")])
        let report = try receiver.sync()
        #expect(try receiver.record(collection: "carePlans", id: "plan-1") == nil)
        #expect(report.digestMatches)
        #expect(report.setAside.map(\.code) == ["out_of_scope"])
        #expect(report.setAside.first?.values["summary"] == .string("Edited by the receiving unit"))
        #expect(try receiver.pendingCount() == 0)
    }

    @Test func resolveReplacesOnlyTheValuesThatWereShown() throws {
        let world = try E2E.World(replicaCount: 3)
        let (a, b, c) = (world.replicas[0], world.replicas[1], world.replicas[2])
        try a.write(collection: "carePlans", id: "p", values: E2E.plan("Base"))
        _ = try a.sync()
        _ = try b.sync()
        _ = try c.sync()
        try a.write(collection: "carePlans", id: "p", values: ["title": .string("A")])
        try b.write(collection: "carePlans", id: "p", values: ["title": .string("B")])
        #expect { try a.resolve(collection: "carePlans", id: "p", field: "title", value: .string("X")) } throws: { error in
            (error as? ReplicaError)?.description.contains("not_in_conflict") == true
        }
        // A misspelt field is named as unknown, not as one without a conflict.
        #expect { try a.resolve(collection: "carePlans", id: "p", field: "titel", value: .string("X")) } throws: { error in
            (error as? ReplicaError)?.description.contains("carePlans has no field titel") == true
        }
        _ = try a.sync()
        _ = try b.sync()
        _ = try a.sync()
        let shown = try #require(try a.record(collection: "carePlans", id: "p")?.state()["title"]).siblings.map(\.dot)
        #expect(shown.count == 2)
        // A third value arrives after the conflict was shown.
        try c.write(collection: "carePlans", id: "p", values: ["title": .string("C")])
        _ = try c.sync()
        _ = try a.sync()
        #expect { try a.resolve(collection: "carePlans", id: "p", field: "title", value: .string("A+B"), seen: shown) } throws: { error in
            (error as? ReplicaError)?.description.contains("siblings_changed") == true
        }
        let all = try #require(try a.record(collection: "carePlans", id: "p")?.state()["title"]).siblings.map(\.dot)
        try a.resolve(collection: "carePlans", id: "p", field: "title", value: .string("A+B+C"), seen: all)
        _ = try a.sync()
        #expect(try a.dump() == world.serverDump())
    }

    @Test func aRecordLargerThanAPushMayCarryIsSetAsideAndTheRestSyncs() throws {
        let world = try E2E.World(replicaCount: 1)
        let device = try Replica(path: world.directory.appendingPathComponent("replica-0.sqlite").path, reference: world.reference,
                                 retry: RetryPolicy(maximumAttempts: 1), paging: SyncPaging(pushBatchBytes: 2_048))
        for index in 0..<5 { try device.write(collection: "carePlans", id: "small-\(index)", values: E2E.plan("Small \(index)")) }
        var big = E2E.plan("Big")
        big["summary"] = .string(String(repeating: "Lång sammanfattning. ", count: 200))
        try device.write(collection: "carePlans", id: "big", values: big)
        let report = try device.sync()
        #expect(report.pushed == 5)
        #expect(report.setAside.map(\.code) == ["record_too_large"])
        #expect(report.setAside.first?.values["summary"] != nil)
        #expect(try device.pendingCount() == 0)
        #expect(report.digestMatches)
    }

    @Test func twoSyncsOfOneReplicaFileAtOnceTakeTurns() throws {
        let world = try E2E.World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let first = world.replicas[0]
        let second = try Replica(path: path, reference: world.reference, retry: RetryPolicy(maximumAttempts: 1))
        for index in 0..<50 { try first.write(collection: "carePlans", id: "p\(index)", values: E2E.plan("Plan \(index)")) }
        let results = Mutex<[Result<Replica.SyncReport, any Error>]>([])
        let done = DispatchGroup()
        for replica in [first, second] {
            done.enter()
            Thread.detachNewThread {
                let result = Result { try replica.sync() }
                results.withLock { $0.append(result) }
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        let reports = try results.withLock { try $0.map { try $0.get() } }
        // One of them pushed everything; the other, after it, had nothing left to push.
        #expect(reports.map(\.pushed).sorted() == [0, 50])
        #expect(reports.allSatisfy { $0.digestMatches })
        #expect(try first.pendingCount() == 0)
        #expect(try first.dump() == world.serverDump())
    }

    @Test func aSyncThatBringsNothingCommitsNothingOnTheServer() throws {
        let world = try E2E.World(replicaCount: 1)
        try world.replicas[0].write(collection: "carePlans", id: "p1", values: E2E.plan("Once"))
        _ = try world.replicas[0].sync()
        let commits = world.server.service.store.database.health.commitCount
        // The greeting, the empty push, the empty pull and the digest are all reads.
        let again = try world.replicas[0].sync()
        #expect(again.pushed == 0 && again.pulled == 0 && again.digestMatches)
        #expect(world.server.service.store.database.health.commitCount == commits)
    }
}
