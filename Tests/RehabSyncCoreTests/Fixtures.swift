import RehabSyncCore

/// Fixed replica ids for examples, in ascending order.
enum Replicas {
    static let a = ReplicaID("00000000-0000-4000-8000-00000000000a")!
    static let b = ReplicaID("00000000-0000-4000-8000-00000000000b")!
    static let c = ReplicaID("00000000-0000-4000-8000-00000000000c")!
}

/// The seeds a property test runs with: `REHABSYNC_SEED` replays one, otherwise a fixed
/// list keeps CI reproducible.
func propertySeeds(default seeds: [UInt64]) -> [UInt64] {
    if let text = ProcessInfoShim.environment("REHABSYNC_SEED"), let seed = UInt64(text) {
        return [seed]
    }
    return seeds
}
