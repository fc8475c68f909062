import RehabSyncCore
import Testing

/// ``RecordState/isJoinResult(intoStored:)`` against the full join, on snapshots of one
/// record from random simulations and on states crafted to carry a write they had seen
/// replaced.
struct RecordStateDominanceTests {
    static let seeds: [UInt64] = Array(1...30)

    @Test("When the incoming state is taken as the join without decoding the stored one, the full join gives exactly it")
    func theShortcutAgreesWithTheFullJoin() throws {
        var applied = 0
        var appliedChanging = 0
        var declined = 0
        var craftedDeclined = 0
        for seed in propertySeeds(default: Self.seeds) {
            print("RecordStateDominanceTests seed \(seed)")
            var simulation = Simulation(seed: seed, replicaCount: 4)
            var generator = SplitMix64(seed: seed ^ 0xD0D0)
            var states: [RecordState] = []
            for _ in 0..<80 {
                try simulation.randomStep()
                if let state = simulation.replicas[Generators.int(0..<4, using: &generator)].records["plan-1"] { states.append(state) }
            }
            guard states.count > 2 else { continue }
            for _ in 0..<60 {
                let stored = states[Generators.int(0..<states.count, using: &generator)]
                let incoming = states[Generators.int(0..<states.count, using: &generator)]
                let joined = stored.joined(with: incoming)
                if incoming.isJoinResult(intoStored: stored.canonicalBytes) {
                    applied += 1
                    if joined != stored { appliedChanging += 1 }
                    #expect(joined.canonicalBytes == incoming.canonicalBytes, "seed \(seed)")
                } else {
                    declined += 1
                }
                // A state that has seen everything stored yet still carries a sibling the
                // stored state had seen replaced: the join drops it, so no shortcut.
                guard stored.context.compare(to: incoming.context) != .after, stored.context.compare(to: incoming.context) != .concurrent
                else { continue }
                let older = states[Generators.int(0..<states.count, using: &generator)]
                for field in older.fields {
                    guard let extra = field.siblings.first(where: { sibling in
                        stored.context.contains(sibling.dot) && stored[field.name]?.sibling(withDot: sibling.dot) == nil
                            && incoming[field.name]?.sibling(withDot: sibling.dot) == nil
                    }) else { continue }
                    // Built as JSON and decoded, which checks it as any received state.
                    var document = try #require(try JSONParser.parse(incoming.canonicalBytes).objectValue)
                    var fields = try #require(document["fields"]?.objectValue)
                    fields[field.name] = .array((fields[field.name]?.arrayValue ?? []) + [try JSONParser.parse(extra.canonicalBytes)])
                    document["fields"] = .object(fields)
                    let crafted = try RecordState(json: .object(document))
                    #expect(!crafted.isJoinResult(intoStored: stored.canonicalBytes), "seed \(seed)")
                    #expect(stored.joined(with: crafted) != crafted, "seed \(seed): the join keeps what the crafted state carried")
                    craftedDeclined += 1
                    break
                }
            }
        }
        print("RecordStateDominanceTests: \(applied) taken without decoding (\(appliedChanging) changing the stored state), "
            + "\(declined) left to the join, \(craftedDeclined) crafted states refused")
        guard ProcessInfoShim.environment("REHABSYNC_SEED") == nil else { return }
        #expect(applied >= 150 && appliedChanging >= 100 && declined >= 300 && craftedDeclined >= 50)
    }
}
