import RehabSyncCore
import Testing

/// ``CanonicalJoin`` against the decoded join, on snapshots of one record from random
/// simulations: the bytes, whether anything changed, the conflict flag, the placement
/// fields and what the arriving state tells the clock must all be the decoded join's.
struct CanonicalJoinTests {
    static let seeds: [UInt64] = Array(1...30)
    /// Two of the simulation's fields stand in for the fields a placement reads.
    static let keeping: Set<String> = ["careUnits", "status"]

    @Test("Joining two canonical states on their bytes gives the bytes, conflict flag and placement fields of the decoded join")
    func theByteJoinAgreesWithTheDecodedJoin() throws {
        var cases = (changed: 0, unchanged: 0, concurrent: 0, threeOrMoreSiblings: 0, placementFieldChanged: 0, declined: 0, fromReader: 0)
        for seed in propertySeeds(default: Self.seeds) {
            var simulation = Simulation(seed: seed, replicaCount: 4)
            var generator = SplitMix64(seed: seed ^ 0x101A)
            var states: [RecordState] = []
            for _ in 0..<80 {
                try Self.randomStep(&simulation, using: &generator)
                if let state = simulation.replicas[Generators.int(0..<4, using: &generator)].records["plan-1"] { states.append(state) }
            }
            guard states.count > 2 else { continue }
            for _ in 0..<60 {
                let stored = states[Generators.int(0..<states.count, using: &generator)]
                let incoming = states[Generators.int(0..<states.count, using: &generator)]
                let expected = stored.joined(with: incoming)
                guard let join = CanonicalJoin.join(stored: stored.canonicalBytes, incoming: incoming.canonicalBytes, keeping: CanonicalFieldNames(Self.keeping))
                else {
                    // Declined only when one side holds what the one-pass check leaves to the
                    // full decoder (the generator writes escapes and fractions).
                    #expect(!Self.isChecked(stored) || !Self.isChecked(incoming), "seed \(seed)")
                    cases.declined += 1
                    continue
                }
                // The same join of the state as a page's reader checked it, where it lay
                // behind other bytes: the sibling runs it found must serve as well as a
                // second reading.
                // With its sibling runs noted by the reader, and without (checked again).
                for collecting in [true, false] {
                    var reader = JSONParser(Array(" \n ".utf8) + incoming.canonicalBytes)
                    let checked = reader.readCanonicalState(keeping: CanonicalFieldNames(Self.keeping), collectingSiblingRuns: collecting)
                    let received = try #require(checked, "seed \(seed)")
                    Self.expectSame(CanonicalJoin.join(stored: stored.canonicalBytes, incoming: received, keeping: CanonicalFieldNames(Self.keeping)),
                                    join, "seed \(seed), runs noted: \(collecting)")
                }
                cases.fromReader += 1
                #expect(join.changed == (expected != stored), "seed \(seed)")
                #expect(join.incomingContext == incoming.context, "seed \(seed)")
                #expect(join.incomingNewestClock == (incoming.fields.flatMap(\.siblings).map(\.hlc).max() ?? .zero), "seed \(seed)")
                guard join.changed else {
                    #expect(join.bytes.isEmpty, "seed \(seed)")
                    cases.unchanged += 1
                    continue
                }
                cases.changed += 1
                #expect(join.bytes == expected.canonicalBytes, "seed \(seed): the bytes of the decoded join")
                #expect(join.isInConflict == expected.isInConflict, "seed \(seed)")
                // The placement fields are decoded, with the whole context, exactly when the
                // join changed them; otherwise the stored state's stand.
                let placementChanged = Self.keeping.contains(where: { stored[$0] != expected[$0] })
                #expect(join.placementFieldsChanged == placementChanged, "seed \(seed)")
                if let partial = join.partial {
                    #expect(partial.context == expected.context, "seed \(seed)")
                    #expect(partial.fields == expected.fields.filter { Self.keeping.contains($0.name) }, "seed \(seed)")
                }
                if stored.context.compare(to: incoming.context) == .concurrent { cases.concurrent += 1 }
                if expected.fields.contains(where: { $0.siblings.count >= 3 }) { cases.threeOrMoreSiblings += 1 }
                if Self.keeping.contains(where: { stored[$0] != expected[$0] }) { cases.placementFieldChanged += 1 }
            }
        }
        print("CanonicalJoinTests: \(cases)")
        guard ProcessInfoShim.environment("REHABSYNC_SEED") == nil else { return }
        #expect(cases.changed >= 300 && cases.unchanged >= 100 && cases.concurrent >= 100 && cases.threeOrMoreSiblings >= 20
            && cases.placementFieldChanged >= 50 && cases.fromReader == cases.changed + cases.unchanged)
    }

    /// Two joins alike in everything they tell.
    static func expectSame(_ join: CanonicalJoin?, _ expected: CanonicalJoin, _ comment: Comment,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        guard let join else {
            Issue.record("the join of the checked state was declined: \(comment)", sourceLocation: sourceLocation)
            return
        }
        #expect(join.bytes == expected.bytes, comment, sourceLocation: sourceLocation)
        #expect(join.changed == expected.changed, comment, sourceLocation: sourceLocation)
        #expect(join.isInConflict == expected.isInConflict, comment, sourceLocation: sourceLocation)
        #expect(join.partial == expected.partial, comment, sourceLocation: sourceLocation)
        #expect(join.placementFieldsChanged == expected.placementFieldsChanged, comment, sourceLocation: sourceLocation)
        #expect(join.incomingContext == expected.incomingContext, comment, sourceLocation: sourceLocation)
        #expect(join.incomingNewestClock == expected.incomingNewestClock, comment, sourceLocation: sourceLocation)
    }

    /// A write of values the one-pass check takes (the generator's own also write escapes
    /// and fractions, which it leaves to the full decoder), or a one-way sync.
    static func randomStep(_ simulation: inout Simulation, using generator: inout SplitMix64) throws {
        simulation.wall += Int64(Generators.int(-50..<200, using: &generator))
        let replicaCount = simulation.replicas.count
        if Generators.int(0..<3, using: &generator) == 0 {
            simulation.sync(from: Generators.int(0..<replicaCount, using: &generator), to: Generators.int(0..<replicaCount, using: &generator))
            return
        }
        var values: [String: JSONValue] = [:]
        for _ in 0..<Generators.int(1..<3, using: &generator) {
            let name = Generators.fieldNames[Generators.int(0..<Generators.fieldNames.count, using: &generator)]
            switch Generators.int(0..<4, using: &generator) {
            case 0: values[name] = .string("värde \(Generators.int(0..<1_000, using: &generator))")
            case 1: values[name] = .integer(Int64(Generators.int(-1_000..<1_000, using: &generator)))
            case 2: values[name] = .array([.string("SE2321000016-U\(Generators.int(0..<8, using: &generator))"), .bool(true)])
            default: values[name] = .object(["nivå": .string("särskilda"), "n": .null])
            }
        }
        try simulation.write(at: Generators.int(0..<replicaCount, using: &generator), fields: values, record: "plan-1")
    }

    /// Whether the one-pass check takes the state's canonical bytes.
    static func isChecked(_ state: RecordState) -> Bool {
        var reader = JSONParser(state.canonicalBytes)
        return reader.readCanonicalState(keeping: []) != nil
    }

    @Test("When both sides hold one write with different bytes, the byte join keeps the same one as the decoded join, either way round")
    func aWriteHeldDifferentlyIsPickedAsTheDecodedJoinPicksIt() throws {
        let replica = try #require(ReplicaID("00000000-0000-4000-8000-000000000001"))
        let other = try #require(ReplicaID("00000000-0000-4000-8000-000000000002"))
        func stamp(_ replica: ReplicaID, _ counter: Int64) -> WriteStamp {
            WriteStamp(dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000, logical: 0),
                       author: "SE2321000016-1000", wallMilliseconds: 1_790_000_000_000)
        }
        // The same dot carrying two values, as only a corrupt peer would send.
        let base = try RecordState().applying(["title": .string("Plan")], stamp: stamp(other, 1))
        let honest = try base.applying(["summary": .string("Bedömning")], stamp: stamp(replica, 1))
        let altered = try base.applying(["summary": .string("Ändrad")], stamp: stamp(replica, 1))
        for (stored, incoming) in [(honest, altered), (altered, honest)] {
            let join = try #require(CanonicalJoin.join(stored: stored.canonicalBytes, incoming: incoming.canonicalBytes, keeping: .none))
            var reader = JSONParser(incoming.canonicalBytes)
            let checked = reader.readCanonicalState(keeping: .none, collectingSiblingRuns: true)
            let received = try #require(checked)
            Self.expectSame(CanonicalJoin.join(stored: stored.canonicalBytes, incoming: received, keeping: .none), join, "checked by a reader")
            let expected = stored.joined(with: incoming)
            #expect(join.changed == (expected != stored))
            if join.changed { #expect(join.bytes == expected.canonicalBytes) }
        }
        #expect(honest.joined(with: altered) == altered.joined(with: honest))
    }

    @Test("A state that is not exactly canonical is left to the decoded join")
    func nonCanonicalBytesAreDeclined() throws {
        var simulation = Simulation(seed: 7, replicaCount: 2)
        for _ in 0..<20 { try simulation.randomStep() }
        let state = try #require(simulation.replicas.compactMap { $0.records["plan-1"] }.first)
        let canonical = state.canonicalBytes
        let spaced = Array(String(decoding: canonical, as: UTF8.self).replacingColons().utf8)
        #expect(CanonicalJoin.join(stored: spaced, incoming: canonical, keeping: .none) == nil)
        #expect(CanonicalJoin.join(stored: canonical, incoming: spaced, keeping: .none) == nil)
        #expect(CanonicalJoin.join(stored: canonical, incoming: Array(canonical.dropLast()), keeping: .none) == nil)
    }
}

private extension String {
    /// The same JSON with a space after every colon: equal in meaning, not canonical.
    func replacingColons() -> String {
        var result = ""
        for character in self {
            result.append(character)
            if character == ":" { result.append(" ") }
        }
        return result
    }
}
