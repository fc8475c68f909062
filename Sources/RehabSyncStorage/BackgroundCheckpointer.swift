import Dispatch
import Synchronization

/// Copies the write-ahead log into the database file on a connection and queue of its
/// own, so that a commit never waits for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: the
/// writer, which every push waits for, then also copies about a thousand pages and syncs
/// the database file. Passive checkpoints may run beside the writer and the readers (SQLite
/// coordinates them through the WAL index), so this one does the copying there instead.
///
/// The writer's commit hook (``Connection/observeCommits(checkpointer:)``) tells it how
/// long the WAL has grown; should the queue ever fall far behind, the hook checkpoints
/// inline as SQLite would have, so the WAL stays bounded either way.
final class BackgroundCheckpointer: Sendable {
    /// WAL bytes after which a checkpoint is started: about the 1,000 pages of SQLite's own
    /// default at the 16 KiB pages of a file made now (4,096 of an older file's 4 KiB pages).
    static let thresholdBytes = 16 << 20

    /// WAL bytes beyond which the writer checkpoints inline: the queue is not keeping up.
    /// A bound in bytes, not pages, so that a device's WAL stays this small whatever the
    /// page size of its file.
    static let inlineBytes = 64 << 20

    /// ``thresholdBytes`` and ``inlineBytes`` in WAL frames (pages) of this file, whose
    /// page size the writer has fixed before the checkpointer opens it.
    let thresholdFrames: Int32
    let inlineFrames: Int32

    private let connection: ConnectionBox
    private let queue = DispatchQueue(label: "rehabsync.checkpoint")
    /// Whether a checkpoint is queued and not yet started; commits in between add none.
    private let scheduled = Atomic<Bool>(false)

    init(path: String, configuration: DatabaseConfiguration) throws {
        let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        // A checkpoint syncs the WAL before copying and the database after, as the
        // writer's durability setting asks.
        try connection.execute(configuration.synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        let pageSize = max(Int(try connection.pragmaInt("page_size") ?? 4_096), 512)
        thresholdFrames = Int32(Self.thresholdBytes / pageSize)
        inlineFrames = Int32(Self.inlineBytes / pageSize)
        self.connection = ConnectionBox(connection)
    }

    /// Called on the writer's thread after each commit, with the frames now in the WAL.
    func committed(walFrames: Int32) {
        guard walFrames >= thresholdFrames, !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [self] in
            scheduled.store(false, ordering: .releasing)
            // Busy means another checkpoint is running, which does the same work; any
            // other failure leaves the pages in the WAL, where readers still find them,
            // and the next commit schedules another attempt.
            try? connection.connection.checkpoint(truncate: false)
        }
    }

    /// Waits for a queued or running checkpoint to finish.
    func drain() {
        queue.sync {}
    }
}
