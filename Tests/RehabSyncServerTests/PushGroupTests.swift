import Foundation
import RehabSyncCore
@testable import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// Pushes that meet at the single writer are stored in one transaction, each in a
/// savepoint: a push refused there rolls back alone, and the others are stored whole.
struct PushGroupTests {
    typealias F = ServerFixtures

    private static func plan(_ id: String) -> RecordKey { RecordKey(collection: "carePlans", recordID: id) }

    @Test("a push refused at the writer rolls back alone, its earlier writes included, and the rest of its group is stored")
    func aPushRefusedAtTheWriterRollsBackAloneItsEarlierWritesIncludedAndTheRestOfItsGroupIsStored() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (b, _) = try service.enrol(name: "B", units: [F.unitB])
        let (c, _) = try service.enrol(name: "C", units: [F.unitC])
        let sequenceBefore = try service.store.read { try $0.clockState().sequence }
        let auditBefore = try service.store.read { try AuditLog.head(connection: $0.connection) }
        // A and B both create "shared", each on a snapshot without it; A comes first in the
        // group, so B's copy is checked again at the writer, after B's "b-own" is stored,
        // and refused: the record is A's unit's, which B cannot see.
        let outcomes = try service.pushTogether([
            (a, F.body([("carePlans", "shared", try F.state(F.plan(units: [F.unitA]), replica: a.replicaID))]), nil),
            (b, F.body([("carePlans", "b-own", try F.state(F.plan(units: [F.unitB]), replica: b.replicaID, counter: 1)),
                        ("carePlans", "shared", try F.state(F.plan(units: [F.unitB]), replica: b.replicaID, counter: 2))]), nil),
            (c, F.body([("carePlans", "c-own", try F.state(F.plan(units: [F.unitC]), replica: c.replicaID))]), nil),
        ])
        #expect(outcomes.count == 3)
        let first = try outcomes[0].get()
        #expect(throws: SyncError.self) { try outcomes[1].get() }
        let third = try outcomes[2].get()
        // B's first record was written inside its savepoint, and is gone with the rest.
        #expect(try service.store.read { try $0.record(Self.plan("b-own")) } == nil)
        let shared = try #require(try service.store.read { try $0.record(Self.plan("shared")) })
        #expect(shared.careUnits == [F.unitA])
        #expect(try service.store.read { try $0.record(Self.plan("c-own")) }?.careUnits == [F.unitC])
        // The refused push took no sequence number and left no audit entry.
        #expect(first.results.map(\.record.sequence) == [sequenceBefore + 1])
        #expect(third.results.map(\.record.sequence) == [sequenceBefore + 2])
        #expect(try service.store.read { try $0.clockState().sequence } == sequenceBefore + 2)
        let auditAfter = try service.store.read { try AuditLog.head(connection: $0.connection) }
        #expect(auditAfter.entry == auditBefore.entry + 2)
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
        // B's counter mark did not move: the same writes sent again alone are stored.
        let again = try service.push(device: b, body: F.body([
            ("carePlans", "b-own", try F.state(F.plan(units: [F.unitB]), replica: b.replicaID, counter: 1)),
        ]), sentMark: 1)
        #expect(again.changed == 1)
    }

    @Test("a group whose commit fails answers every push with the failure and stores nothing")
    func aGroupWhoseCommitFailsAnswersEveryPushWithTheFailureAndStoresNothing() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (b, _) = try service.enrol(name: "B", units: [F.unitB])
        let pushes = [
            (device: a, body: F.body([("carePlans", "a1", try F.state(F.plan(units: [F.unitA]), replica: a.replicaID))]), sentMark: Int64?.none),
            (device: b, body: F.body([("carePlans", "b1", try F.state(F.plan(units: [F.unitB]), replica: b.replicaID))]), sentMark: Int64?.none),
        ]
        service.store.database.injectWriteFault(DatabaseError(extendedResultCode: DatabaseError.Code.ioErrorWrite, message: "disk I/O error"))
        let outcomes = try service.pushTogether(pushes)
        service.store.database.injectWriteFault(nil)
        #expect(outcomes.count == 2)
        for outcome in outcomes { #expect(throws: DatabaseError.self) { try outcome.get() } }
        #expect(try service.store.read { try $0.count() } == 0)
    }

    @Test("pushes from several threads at once are each stored whole and acknowledged with their own receipts")
    func pushesFromSeveralThreadsAtOnceAreEachStoredWholeAndAcknowledgedWithTheirOwnReceipts() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let devices = try (0..<6).map { try service.enrol(name: "D\($0)", units: [F.unitA]).device }
        let bodies = try devices.map { device in
            try (0..<5).map { round in
                F.body(try (0..<20).map { item in
                    ("carePlans", "\(device.name)-r\(round)-\(item)",
                     try F.state(F.plan(units: [F.unitA]), replica: device.replicaID, counter: Int64(round * 20 + item + 1)))
                })
            }
        }
        let receipts = Mutex<[Int: [String]]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: devices.count) { index in
            for body in bodies[index] {
                do {
                    let receipt = try service.push(device: devices[index], body: body)
                    receipts.withLock { $0[index, default: []] += receipt.results.map(\.key.recordID) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let all = receipts.withLock { $0 }
        for index in devices.indices {
            #expect(all[index] == (0..<5).flatMap { round in (0..<20).map { "D\(index)-r\(round)-\($0)" } })
        }
        #expect(try service.store.read { try $0.count() } == 6 * 5 * 20)
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
    }
}
