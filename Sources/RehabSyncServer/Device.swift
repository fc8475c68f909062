import RehabSyncCore

/// An enrolled device: a satellite clinic's laptop or tablet with its own replica, allowed
/// to see and write the records of the care units it was enrolled for.
public struct Device: Hashable, Sendable {
    public let replicaID: ReplicaID
    public let name: String
    /// HSA-ids of the care units, sorted.
    public let units: [String]
    public let enrolledAtMilliseconds: Int64
    public let revokedAtMilliseconds: Int64?
    public let lastSeenMilliseconds: Int64?
    /// The sequence number the device last pulled up to.
    public let cursor: Int64
    /// The replica instance (a random id the replica file holds) the token is bound to,
    /// once it has been used; a second instance with the same token is refused, so that
    /// two laptops never write under one replica id.
    public var instance: String? = nil
    /// The replica id the device's writes carry. The enrolment's id at first; a replica
    /// restored from an old copy of its file takes a fresh one.
    public var writerID: ReplicaID
    /// The highest counter of `writerID` the server has stored. A replica learns it before
    /// its first write, and a push from a file that has not sent that far is an old copy.
    public var counterMark: Int64 = 0

    /// Whether the device may see a record placed in `recordUnits`.
    public func canSee(_ recordUnits: [String]) -> Bool {
        recordUnits.contains(where: units.contains)
    }
}
