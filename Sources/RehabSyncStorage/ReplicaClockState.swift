import RehabSyncCore

/// The replica's own causal bookkeeping, persisted in the same transaction as every
/// write that uses it: the last counter handed out (so a dot is never reused after a
/// crash), the hybrid clock, and the last change sequence number.
public struct ReplicaClockState: Hashable, Sendable {
    public let replicaID: ReplicaID
    public var counter: Int64
    public var clock: HybridLogicalClock
    public var sequence: Int64
}
