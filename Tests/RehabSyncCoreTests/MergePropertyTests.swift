import RehabSyncCore
import Testing

/// Seeded property tests of the merge. Each prints its seed on failure; set
/// REHABSYNC_SEED to replay one. Together they run well over 10,000 generated operations.
struct MergePropertyTests {
    static let seeds: [UInt64] = Array(1...40)

    /// Snapshots of one record taken during a random simulation: states that are all
    /// consistent with one history, as real replicas' states are.
    func snapshots(seed: UInt64) throws -> [RecordState] {
        var simulation = Simulation(seed: seed, replicaCount: 4)
        var states: [RecordState] = []
        for _ in 0..<60 {
            try simulation.randomStep()
            let replica = simulation.replicas[Generators.int(0..<4, using: &simulation.generator)]
            states.append(replica.records["plan-1"] ?? RecordState())
        }
        return states
    }

    @Test func joinIsCommutativeAssociativeAndIdempotent() throws {
        for seed in propertySeeds(default: Self.seeds) {
            let states = try snapshots(seed: seed)
            var generator = SplitMix64(seed: seed ^ 0xABCDEF)
            for _ in 0..<40 {
                let x = states[Generators.int(0..<states.count, using: &generator)]
                let y = states[Generators.int(0..<states.count, using: &generator)]
                let z = states[Generators.int(0..<states.count, using: &generator)]
                #expect(x.joined(with: y) == y.joined(with: x), "commutativity, seed \(seed)")
                #expect(x.joined(with: y).joined(with: z) == x.joined(with: y.joined(with: z)), "associativity, seed \(seed)")
                #expect(x.joined(with: x) == x, "idempotence, seed \(seed)")
                #expect(x.joined(with: y).canonicalBytes == y.joined(with: x).canonicalBytes, "equal bytes, seed \(seed)")
            }
        }
    }

    /// Requires the interesting cases of a full run of the seed list. A replayed seed is
    /// one run of many and need not hold them all, so then they are only printed.
    static func require(_ cases: InterestingCases, _ test: String) {
        print("\(test): \(cases)")
        guard ProcessInfoShim.environment("REHABSYNC_SEED") == nil else { return }
        #expect(cases.sameFieldConcurrent >= 2_000, "\(test): too few same-field concurrent writes")
        #expect(cases.threeOrMoreSiblings >= 1_000, "\(test): too few joins with three or more siblings")
        #expect(cases.resolutionAfterPartialView >= 800, "\(test): too few resolutions after a partial view")
        #expect(cases.voiding >= 150, "\(test): too few voidings")
    }

    @Test func replicasConvergeOnceEveryoneHasExchangedState() throws {
        var cases = InterestingCases()
        for seed in propertySeeds(default: Self.seeds) {
            var generator = SplitMix64(seed: seed)
            let replicaCount = Generators.int(3..<9, using: &generator)
            var simulation = Simulation(seed: seed, replicaCount: replicaCount)
            for _ in 0..<Generators.int(50..<250, using: &generator) { try simulation.randomStep() }
            simulation.exchangeAll()
            cases = cases + simulation.cases
            let reference = simulation.replicas[0].records
            for replica in simulation.replicas {
                #expect(replica.records.keys.sorted() == reference.keys.sorted(), "seed \(seed)")
                for (record, state) in reference {
                    #expect(replica.records[record]?.canonicalBytes == state.canonicalBytes, "record \(record), seed \(seed)")
                }
            }
            // The converged context holds every write the model says was made to the record.
            for (record, state) in reference {
                let made = Set(simulation.writes.filter { $0.record == record }.map(\.dot))
                #expect(made == simulation.known[0][record], "the model lost track of \(record), seed \(seed)")
                #expect(made.allSatisfy(state.context.contains), "the context of \(record) lacks a write, seed \(seed)")
            }
        }
        Self.require(cases, "convergence")
    }

    @Test func noUpdateIsLostUnlessItsReplacementsWriterHadSeenIt() throws {
        var cases = InterestingCases()
        for seed in propertySeeds(default: Self.seeds) {
            var simulation = Simulation(seed: seed &+ 1_000, replicaCount: 5)
            for _ in 0..<200 { try simulation.randomStep() }
            simulation.exchangeAll()
            cases = cases + simulation.cases
            let final = simulation.replicas[0].records
            // Judged by the model of who saw what, not by the contexts the merge computed.
            for write in simulation.writes {
                for field in write.fields {
                    let siblings = final[write.record]?[field]?.siblings ?? []
                    let survives = siblings.contains { sibling in
                        sibling.dot == write.dot || (simulation.seen[sibling.dot]?.contains(write.dot) ?? false)
                    }
                    #expect(survives, "write \(write.dot) to \(write.record).\(field) lost, seed \(seed)")
                }
            }
            // And nothing is kept that a kept write had seen: the siblings are the writes
            // no other write of the field replaced.
            for (record, state) in final {
                for field in state.fields {
                    for sibling in field.siblings {
                        let replaced = field.siblings.contains { other in
                            other.dot != sibling.dot && (simulation.seen[other.dot]?.contains(sibling.dot) ?? false)
                        }
                        #expect(!replaced, "\(record).\(field.name) keeps \(sibling.dot), which another sibling's writer had seen, seed \(seed)")
                    }
                }
            }
        }
        Self.require(cases, "no lost update")
    }

    @Test func aWriteMadeAfterSeeingAConflictResolvesItOnEveryReplica() throws {
        for seed in propertySeeds(default: Self.seeds) {
            var simulation = Simulation(seed: seed &+ 2_000, replicaCount: 4)
            // Concurrent writes to one field from every replica make a conflict for sure.
            for index in simulation.replicas.indices {
                try simulation.write(at: index, fields: ["summary": .string("from \(index)")], record: "plan-1")
            }
            for _ in 0..<50 { try simulation.randomStep() }
            simulation.exchangeAll()
            let resolver = Int(seed % 4)
            try simulation.write(at: resolver, fields: ["summary": .string("resolved")], record: "plan-1")
            simulation.exchangeAll()
            for replica in simulation.replicas {
                let field = replica.records["plan-1"]?["summary"]
                #expect(field?.siblings.count == 1, "seed \(seed)")
                #expect(field?.provisional.value == .string("resolved"), "seed \(seed)")
            }
        }
    }

    @Test func encodeDecodeEncodeIsTheIdentity() throws {
        for seed in propertySeeds(default: Self.seeds) {
            for state in try snapshots(seed: seed &+ 3_000) {
                let bytes = state.canonicalBytes
                let decoded = try RecordState(decoding: bytes)
                #expect(decoded == state, "seed \(seed)")
                #expect(decoded.canonicalBytes == bytes, "seed \(seed)")
            }
        }
    }
}
