import RehabSyncCore

/// Fixed replica ids for examples, in ascending order.
enum Replicas {
    static let a = ReplicaID("00000000-0000-4000-8000-00000000000a")!
    static let b = ReplicaID("00000000-0000-4000-8000-00000000000b")!
    static let c = ReplicaID("00000000-0000-4000-8000-00000000000c")!
}

/// A stamp for examples: the clock follows the counter so tests read naturally.
func stamp(_ replica: ReplicaID, _ counter: Int64, hlc: Int64? = nil, author: String = "SE2321000016-1000") -> WriteStamp {
    WriteStamp(dot: Dot(replica: replica, counter: counter),
               hlc: HLCTimestamp(milliseconds: hlc ?? 1_700_000_000_000 + counter, logical: 0),
               author: author, wallMilliseconds: 1_700_000_000_000 + counter)
}

/// The seeds a property test runs with: `REHABSYNC_SEED` replays one, otherwise a fixed
/// list keeps CI reproducible.
func propertySeeds(default seeds: [UInt64]) -> [UInt64] {
    if let text = ProcessInfoShim.environment("REHABSYNC_SEED"), let seed = UInt64(text) {
        return [seed]
    }
    return seeds
}
