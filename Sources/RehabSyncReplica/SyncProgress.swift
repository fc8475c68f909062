/// How far a ``Replica/sync(progress:)`` has come, reported after each step that changed
/// something: the start of each phase, each acknowledged push batch, each stored pull page.
///
/// Counts only grow within one sync. `remainingToPull` is an estimate: it compares the
/// cursor with the newest change sequence of the device's units that the server named in
/// its last pull answer (`X-RehabSync-Latest-Sequence`). Sequence numbers are shared by
/// every record of the server, so the difference is an upper bound on the records left;
/// it is 0 once the last page is stored.
public struct SyncProgress: Sendable, Hashable {
    /// The part of the exchange under way.
    public enum Phase: String, Sendable, Hashable {
        /// Sending this device's pending writes.
        case push
        /// Fetching and storing what others wrote.
        case pull
    }

    public var phase: Phase
    /// Records the server has acknowledged in this sync so far; a write it refused is set
    /// aside instead, so this can stay below `pendingAtStart`.
    public var pushed: Int
    /// Records waiting to be pushed when the sync began.
    public var pendingAtStart: Int
    /// Records pulled and stored in this sync so far.
    public var pulled: Int
    /// The pull cursor stored so far.
    public var cursor: Int64
    /// The newest change sequence the server named, if it named one.
    public var latestSequence: Int64?

    public init(phase: Phase, pushed: Int, pendingAtStart: Int, pulled: Int, cursor: Int64, latestSequence: Int64?) {
        self.phase = phase
        self.pushed = pushed
        self.pendingAtStart = pendingAtStart
        self.pulled = pulled
        self.cursor = cursor
        self.latestSequence = latestSequence
    }

    /// Changes the server holds past the cursor, at most: nil before the server named its
    /// newest sequence, 0 once the pull has caught up with it.
    public var remainingToPull: Int64? {
        latestSequence.map { max(0, $0 - cursor) }
    }
}
