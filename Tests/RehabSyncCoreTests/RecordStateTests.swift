import RehabSyncCore
import Testing

struct RecordStateTests {
    @Test func aLocalWriteSetsFieldsAndRecordsItsDot() throws {
        let state = try RecordState().applying(["title": .string("Plan"), "status": .string("draft")], stamp: stamp(Replicas.a, 1))
        #expect(state.provisionalValues == ["title": .string("Plan"), "status": .string("draft")])
        #expect(state.context[Replicas.a] == 1)
        #expect(!state.isInConflict)
    }

    @Test func aLocalWriteLeavesOtherFieldsAsTheyAre() throws {
        let first = try RecordState().applying(["title": .string("Plan"), "status": .string("draft")], stamp: stamp(Replicas.a, 1))
        let second = try first.applying(["status": .string("active")], stamp: stamp(Replicas.a, 2))
        #expect(second.provisionalValues == ["title": .string("Plan"), "status": .string("active")])
        #expect(second["title"]?.siblings.first?.dot == Dot(replica: Replicas.a, counter: 1))
    }

    @Test func refusesADotThatIsNotNew() throws {
        let state = try RecordState().applying(["title": .string("Plan")], stamp: stamp(Replicas.a, 5))
        #expect { try state.applying(["title": .string("Again")], stamp: stamp(Replicas.a, 5)) } throws: { error in
            (error as? CoreError)?.code == .staleDot
        }
    }

    @Test func concurrentWritesToDifferentFieldsMergeWithoutConflict() throws {
        let base = try RecordState().applying(["title": .string("Plan"), "status": .string("draft")], stamp: stamp(Replicas.a, 1))
        let onA = try base.applying(["title": .string("Rehab plan")], stamp: stamp(Replicas.a, 2))
        let onB = try base.applying(["status": .string("active")], stamp: stamp(Replicas.b, 1))
        let joined = onA.joined(with: onB)
        #expect(joined == onB.joined(with: onA))
        #expect(!joined.isInConflict)
        #expect(joined.provisionalValues == ["title": .string("Rehab plan"), "status": .string("active")])
    }

    @Test func concurrentWritesToTheSameFieldKeepBothAndAgreeOnTheProvisionalValue() throws {
        let base = try RecordState().applying(["summary": .string("start")], stamp: stamp(Replicas.a, 1))
        let onA = try base.applying(["summary": .string("from A")], stamp: stamp(Replicas.a, 2, hlc: 2_000))
        let onB = try base.applying(["summary": .string("from B")], stamp: stamp(Replicas.b, 1, hlc: 3_000))
        let joined = onA.joined(with: onB)
        let field = try #require(joined["summary"])
        #expect(field.isInConflict)
        #expect(field.siblings.map(\.value) == [.string("from A"), .string("from B")])
        #expect(field.provisional.value == .string("from B"))
        #expect(onB.joined(with: onA)["summary"]?.provisional.value == .string("from B"))
    }

    @Test func theProvisionalValueFallsBackToTheReplicaIdWhenClocksTie() throws {
        let base = RecordState()
        let onA = try base.applying(["summary": .string("A")], stamp: stamp(Replicas.a, 1, hlc: 5))
        let onC = try base.applying(["summary": .string("C")], stamp: stamp(Replicas.c, 1, hlc: 5))
        #expect(onA.joined(with: onC)["summary"]?.provisional.value == .string("C"))
    }

    @Test func aWriteThatHasSeenAllSiblingsResolvesTheConflictEverywhere() throws {
        let base = try RecordState().applying(["summary": .string("start")], stamp: stamp(Replicas.a, 1))
        let onA = try base.applying(["summary": .string("from A")], stamp: stamp(Replicas.a, 2))
        let onB = try base.applying(["summary": .string("from B")], stamp: stamp(Replicas.b, 1))
        let onC = onA.joined(with: onB)
        let resolved = try onC.applying(["summary": .string("agreed")], stamp: stamp(Replicas.c, 1))
        for replica in [onA, onB, onC] {
            let joined = replica.joined(with: resolved)
            #expect(!joined.isInConflict)
            #expect(joined.provisionalValues["summary"] == .string("agreed"))
        }
    }

    @Test func aWriteThatHasNotSeenASiblingDoesNotRemoveIt() throws {
        let base = try RecordState().applying(["summary": .string("start")], stamp: stamp(Replicas.a, 1))
        let onA = try base.applying(["summary": .string("from A")], stamp: stamp(Replicas.a, 2))
        let onB = try base.applying(["summary": .string("from B")], stamp: stamp(Replicas.b, 1))
        let onBAgain = try onB.applying(["summary": .string("from B again")], stamp: stamp(Replicas.b, 2))
        let joined = onA.joined(with: onBAgain)
        #expect(joined["summary"]?.siblings.map(\.value) == [.string("from A"), .string("from B again")])
    }

    @Test func refusesInvalidFieldNames() {
        #expect { try RecordState().applying(["not a name": .null], stamp: stamp(Replicas.a, 1)) } throws: { error in
            (error as? CoreError)?.code == .invalidFieldName
        }
        #expect(RecordState.isValidFieldName("needLevel"))
        #expect(!RecordState.isValidFieldName("9lives"))
        #expect(!RecordState.isValidFieldName(""))
        #expect(!RecordState.isValidFieldName(String(repeating: "a", count: 65)))
    }
}
