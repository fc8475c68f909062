import Foundation
import RehabSyncCore
import RehabSyncServer
import Testing

/// A device can only tell the server about its own writes, only within its own units.
struct PushIntegrityTests {
    typealias F = ServerFixtures

    @Test func aKnownWriteArrivingWithAlteredContentIsRefused() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (b, _) = try service.enrol(name: "B", units: [F.unitA])
        let original = try F.state(F.plan(title: "Original"), replica: a.replicaID)
        _ = try service.push(device: a, body: F.body([("carePlans", "p1", original)]))
        // B re-sends A's write with another title under the same dot.
        let forged = Array(original.canonicalText.replacingOccurrences(of: "Original", with: "Forged").utf8)
        let forgedState = try RecordState(decoding: forged)
        #expect { try service.push(device: b, body: F.body([("carePlans", "p1", forgedState)])) } throws: { error in
            (error as? SyncError)?.code == "altered_write"
        }
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) })
        #expect(try stored.state().provisionalValues["title"] == .string("Original"))
    }

    @Test func aKnownWriteArrivingInAnotherUnicodeNormalizationFormIsRefusedAsAltered() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (b, _) = try service.enrol(name: "B", units: [F.unitA])
        let original = try F.state(F.plan(title: "Caf\u{00E9}"), replica: a.replicaID)
        _ = try service.push(device: a, body: F.body([("carePlans", "p1", original)]))
        // The same dot with "Café" in NFD: canonically equivalent, other bytes.
        let altered = try F.state(F.plan(title: "Cafe\u{0301}"), replica: a.replicaID)
        #expect(altered.canonicalBytes != original.canonicalBytes)
        #expect { try service.push(device: b, body: F.body([("carePlans", "p1", altered)])) } throws: { error in
            (error as? SyncError)?.code == "altered_write"
        }
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) })
        #expect(stored.stateBytes == original.canonicalBytes)
    }

    @Test func aContextClaimingUnseenWritesOfAnotherReplicaIsRefused() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (b, _) = try service.enrol(name: "B", units: [F.unitA])
        _ = try service.push(device: a, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: a.replicaID))]))
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) }).state()
        // B claims to have seen A's writes up to 1,000,000, which would erase A's later writes.
        var text = try F.state(["title": .string("B")], replica: b.replicaID, base: stored).canonicalText
        text = text.replacingOccurrences(of: "\"\(a.replicaID)\":1", with: "\"\(a.replicaID)\":1000000")
        let forged = try RecordState(decoding: Array(text.utf8))
        #expect { try service.push(device: b, body: F.body([("carePlans", "p1", forged)])) } throws: { error in
            (error as? SyncError)?.code == "context_ahead"
        }
    }

    @Test func aPushMayNotAddOrRemoveAUnitTheDeviceIsNotEnrolledFor() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (ac, _) = try service.enrol(name: "A and C", units: [F.unitA, F.unitC])
        let widened = try F.state(F.plan(units: [F.unitA, F.unitB]), replica: a.replicaID)
        #expect { try service.push(device: a, body: F.body([("carePlans", "p1", widened)])) } throws: { error in
            (error as? SyncError)?.status == 403 && (error as? SyncError)?.message.contains(F.unitB) == true
        }
        let shared = try F.state(F.plan(units: [F.unitA, F.unitC]), replica: ac.replicaID)
        _ = try service.push(device: ac, body: F.body([("carePlans", "p2", shared)]))
        let narrowed = try F.state(["careUnits": .array([.string(F.unitA)])], replica: a.replicaID, base: shared)
        #expect { try service.push(device: a, body: F.body([("carePlans", "p2", narrowed)])) } throws: { error in
            (error as? SyncError)?.status == 403
        }
    }

    @Test func aHandoverCannotOpenAnotherUnitsPlanOrAnotherPatientsPlan() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (victim, _) = try service.enrol(name: "Unit C", units: [F.unitC])
        let (intruder, _) = try service.enrol(name: "Unit B", units: [F.unitB])
        let (sender, _) = try service.enrol(name: "Unit A", units: [F.unitA])
        _ = try service.push(device: victim, body: F.body([("carePlans", "plan-c", try F.state(F.plan(units: [F.unitC]), replica: victim.replicaID))]))
        // B claims C is handing over C's plan to B: only C's own devices may initiate that.
        let fake = try F.state(F.handover(from: F.unitC, to: F.unitB, plan: "plan-c"), replica: intruder.replicaID)
        #expect { try service.push(device: intruder, body: F.body([("handovers", "h1", fake)])) } throws: { error in
            (error as? SyncError)?.status == 403 && (error as? SyncError)?.field == "records[0].state.fields.sendingUnit"
        }
        #expect(try service.pull(device: intruder, clinician: F.nurse, since: 0, limit: nil).records.isEmpty)
        // A hands over, but names a plan of another patient: nothing travels.
        var otherPatient = F.plan()
        otherPatient["patient"] = .string("197010632391")
        _ = try service.push(device: sender, body: F.body([("carePlans", "plan-a", try F.state(otherPatient, replica: sender.replicaID))]))
        let wrong = try F.state(F.handover(from: F.unitA, to: F.unitB, plan: "plan-a"), replica: sender.replicaID, counter: 2)
        _ = try service.push(device: sender, body: F.body([("handovers", "h2", wrong)]))
        #expect(!(try service.pull(device: intruder, clinician: F.nurse, since: 0, limit: nil).records.map(\.recordID).contains("plan-a")))
    }

    @Test func aGrantIsAudited() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (sender, _) = try service.enrol(name: "Unit A", units: [F.unitA])
        _ = try service.push(device: sender, body: F.body([("carePlans", "plan-1", try F.state(F.plan(), replica: sender.replicaID))]))
        let handover = try F.state(F.handover(from: F.unitA, to: F.unitB, plan: "plan-1"), replica: sender.replicaID, counter: 2)
        _ = try service.push(device: sender, body: F.body([("handovers", "h1", handover)]))
        let actions = try service.auditExtract(patient: F.patient).objectValue?["entries"]?.arrayValue?
            .compactMap { $0.objectValue?["action"]?.stringValue }
        #expect(actions == ["write", "write", "grant"])
    }

    @Test func aPlanLaterInTheSameBatchStillTravelsWithTheHandover() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (sender, _) = try service.enrol(name: "Unit A", units: [F.unitA])
        let (receiver, _) = try service.enrol(name: "Unit B", units: [F.unitB])
        let handover = try F.state(F.handover(from: F.unitA, to: F.unitB, plan: "plan-1"), replica: sender.replicaID, counter: 2)
        // A replica sends records in the order of their latest change: a plan edited after
        // the handover was written comes after it.
        _ = try service.push(device: sender, body: F.body([
            ("handovers", "h1", handover), ("carePlans", "plan-1", try F.state(F.plan(), replica: sender.replicaID, counter: 3)),
        ]))
        let pulled = try service.pull(device: receiver, clinician: F.nurse, since: 0, limit: nil).records.map(\.recordID)
        #expect(Set(pulled) == ["h1", "plan-1"])
    }

    @Test func aRepushOfAnUnchangedRecordThatLeftTheDevicesUnitsIsAnsweredUnchanged() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (ab, _) = try service.enrol(name: "A and B", units: [F.unitA, F.unitB])
        let written = try F.state(F.plan(), replica: a.replicaID)
        _ = try service.push(device: a, body: F.body([("carePlans", "p1", written)]))
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) }).state()
        let moved = try F.state(["careUnits": .array([.string(F.unitB)])], replica: ab.replicaID, base: stored)
        _ = try service.push(device: ab, body: F.body([("carePlans", "p1", moved)]))
        // A's acknowledgement was lost; it sends the same state again.
        let receipt = try service.push(device: a, body: F.body([("carePlans", "p1", written)]))
        #expect(receipt.changed == 0 && receipt.results.first?.changed == false)
        // A pull tells A that the record is gone from its units.
        let page = try service.pull(device: a, clinician: F.nurse, since: 0, limit: nil)
        #expect(page.removed.map(\.key.recordID) == ["p1"])
        #expect(String(decoding: page.jsonBytes, as: UTF8.self).contains(#""removed":[{"collection":"carePlans","id":"p1""#))
    }

    @Test func anotherUnitsRecordAndAnUnknownIdGetTheSameRefusal() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        let (c, _) = try service.enrol(name: "C", units: [F.unitC])
        let theirs = try F.state(F.plan(units: [F.unitC]), replica: c.replicaID)
        _ = try service.push(device: c, body: F.body([("carePlans", "exists", theirs)]))
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "exists")) }).state()
        let probe = try F.state(["title": .string("Probe")], replica: a.replicaID, base: stored)
        func refusal(_ id: String) -> SyncError? {
            do { _ = try service.push(device: a, body: F.body([("carePlans", id, probe)])); return nil } catch { return error as? SyncError }
        }
        let existing = refusal("exists")
        let unknown = refusal("does-not-exist")
        #expect(existing != nil)
        #expect(existing?.status == unknown?.status && existing?.code == unknown?.code && existing?.message == unknown?.message)
    }

    @Test func onlyTheReceivingUnitConfirmsAHandover() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (sender, _) = try service.enrol(name: "Unit A", units: [F.unitA])
        let (receiver, _) = try service.enrol(name: "Unit B", units: [F.unitB])
        let handover = try F.state(F.handover(from: F.unitA, to: F.unitB, plan: "plan-1"), replica: sender.replicaID)
        _ = try service.push(device: sender, body: F.body([("handovers", "h1", handover)]))
        let confirmedBySender = try F.state(["status": .string("contactConfirmed")], replica: sender.replicaID, counter: 2, base: handover)
        #expect { try service.push(device: sender, body: F.body([("handovers", "h1", confirmedBySender)])) } throws: { error in
            (error as? SyncError)?.status == 403 && (error as? SyncError)?.field == "records[0].state.fields.status"
        }
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "handovers", recordID: "h1")) }).state()
        let confirmed = try F.state(["status": .string("contactConfirmed")], replica: receiver.replicaID, base: stored)
        _ = try service.push(device: receiver, body: F.body([("handovers", "h1", confirmed)]))
        // Redirecting it needs enrolment in the old and the new receiving unit.
        let after = try #require(try service.store.read { try $0.record(.init(collection: "handovers", recordID: "h1")) }).state()
        let redirected = try F.state(["receivingUnit": .string(F.unitC)], replica: sender.replicaID, counter: 3, base: after)
        #expect { try service.push(device: sender, body: F.body([("handovers", "h1", redirected)])) } throws: { error in
            (error as? SyncError)?.status == 403 && (error as? SyncError)?.field == "records[0].state.fields.receivingUnit"
        }
    }

    @Test func aPushFromAnOlderCopyOfAReplicaFileIsRefusedNotAcknowledgedAndDropped() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        _ = try service.push(device: a, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: a.replicaID, counter: 5))]),
                             sentMark: 0)
        // Another copy of the file, which had sent nothing beyond 3, reuses counter 5.
        let reused = try F.state(F.plan(title: "Other"), replica: a.replicaID, counter: 5)
        #expect { try service.push(device: a, body: F.body([("carePlans", "p2", reused)]), sentMark: 3) } throws: { error in
            (error as? SyncError)?.code == "replica_behind" && (error as? SyncError)?.status == 409
        }
        #expect(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p2")) } == nil)
        // The file that sent 5 goes on.
        _ = try service.push(device: a, body: F.body([("carePlans", "p3", try F.state(F.plan(), replica: a.replicaID, counter: 6))]),
                             sentMark: 5)
    }

    @Test func aStateThatUnderstatesItsContextCannotMoveASharedRecordOutOfAUnit() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (shared, _) = try service.enrol(name: "A and C", units: [F.unitA, F.unitC])
        let (a, _) = try service.enrol(name: "A", units: [F.unitA])
        _ = try service.push(device: shared, body: F.body([("carePlans", "p1", try F.state(F.plan(units: [F.unitA, F.unitC]), replica: shared.replicaID))]))
        // A rewrites every field as if it had never seen the record, with a later clock.
        var rewrite = F.plan(units: [F.unitA])
        rewrite["title"] = .string("Rewritten")
        let understated = try F.state(rewrite, replica: a.replicaID, counter: 900)
        #expect { try service.push(device: a, body: F.body([("carePlans", "p1", understated)])) } throws: { error in
            (error as? SyncError)?.status == 403
        }
        let stored = try #require(try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) })
        #expect(Set(stored.careUnits) == [F.unitA, F.unitC])
    }

    @Test func aVoidedHandoverLeavesTheGrantsOfAnotherActiveOneAndARedirectTakesThePlanAlong() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (sender, _) = try service.enrol(name: "Unit A", units: [F.unitA])
        let (receiver, _) = try service.enrol(name: "Unit B", units: [F.unitB])
        let (redirector, _) = try service.enrol(name: "Units B and C", units: [F.unitB, F.unitC])
        let (third, _) = try service.enrol(name: "Unit C", units: [F.unitC])
        func handover(_ counter: Int64) throws -> RecordState {
            try F.state(F.handover(from: F.unitA, to: F.unitB, plan: "plan-1"), replica: sender.replicaID, counter: counter)
        }
        _ = try service.push(device: sender, body: F.body([("carePlans", "plan-1", try F.state(F.plan(), replica: sender.replicaID))]))
        _ = try service.push(device: sender, body: F.body([("handovers", "h1", try handover(2)), ("handovers", "h2", try handover(3))]))
        func visible(to device: Device) throws -> Bool {
            try service.store.read { try $0.record(.init(collection: "carePlans", recordID: "plan-1")) }.map { device.canSee($0.careUnits) } ?? false
        }
        #expect(try visible(to: receiver))
        let h1 = try #require(try service.store.read { try $0.record(.init(collection: "handovers", recordID: "h1")) }).state()
        let voided = try F.state(["voided": .object(["reason": .string("dubblett"), "by": .string(F.nurse)])], replica: sender.replicaID,
                                 counter: 4, base: h1)
        _ = try service.push(device: sender, body: F.body([("handovers", "h1", voided)]))
        #expect(try visible(to: receiver), "h2 still hands the plan over to B")
        // h2 is redirected from B to C by a device enrolled in both.
        let h2 = try #require(try service.store.read { try $0.record(.init(collection: "handovers", recordID: "h2")) }).state()
        let redirected = try F.state(["receivingUnit": .string(F.unitC)], replica: redirector.replicaID, base: h2)
        _ = try service.push(device: redirector, body: F.body([("handovers", "h2", redirected)]))
        #expect(try !visible(to: receiver))
        #expect(try visible(to: third))
    }
}
