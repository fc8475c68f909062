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

    /// Whether the device may see a record placed in `recordUnits`.
    public func canSee(_ recordUnits: [String]) -> Bool {
        recordUnits.contains(where: units.contains)
    }
}
