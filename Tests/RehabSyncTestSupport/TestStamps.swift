import RehabSyncCore

/// A write stamp for examples: the clock follows the counter so tests read naturally.
/// `wall` is the time of counter 0; the write's hybrid-clock and wall times are
/// `wall + counter` unless `hlc` says otherwise.
public func stamp(_ replica: ReplicaID, _ counter: Int64, hlc: Int64? = nil, author: String = "SE2321000016-1000",
                  wall: Int64 = 1_700_000_000_000) -> WriteStamp {
    WriteStamp(dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(milliseconds: hlc ?? wall + counter, logical: 0),
               author: author, wallMilliseconds: wall + counter)
}
