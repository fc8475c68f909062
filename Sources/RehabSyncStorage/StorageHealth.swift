internal import CSQLite
import Synchronization

/// Whether the database can commit, as the last write found out. ``DatabasePool`` records
/// every write's outcome here; a readiness check reads it and, when it reports a failure,
/// probes with a tiny write (``RecordStore/probeCommit()``) to learn when the storage is
/// back.
///
/// A failure counts only when it is about the storage, not the request: a full disk, a
/// read-only file or file system, an I/O error, a file that cannot be opened, a lock held
/// past the busy timeout (see ``DatabaseError/isStorageUnavailable``). Constraint failures
/// and the like say nothing about whether the next commit would work.
public final class StorageHealth: Sendable {
    /// The latest failure to commit, while no write has succeeded since.
    public struct Failure: Sendable, Hashable {
        /// The SQLite extended result code.
        public var extendedResultCode: Int32
        /// SQLite's message, without SQL or arguments.
        public var message: String
    }

    private let failure = Mutex<Failure?>(nil)
    private let commits = Atomic<Int>(0)

    public init() {}

    /// Write transactions committed since the pool opened.
    public var commitCount: Int { commits.load(ordering: .relaxed) }

    /// The failure since the last successful write, or nil when the last write committed.
    public var commitFailure: Failure? { failure.withLock { $0 } }

    /// A write committed.
    public func recordCommit() {
        commits.add(1, ordering: .relaxed)
        failure.withLock { if $0 != nil { $0 = nil } }
    }

    /// A write failed; remembered if the storage is to blame.
    public func recordFailure(_ error: any Error) {
        guard let error = error as? DatabaseError, error.isStorageUnavailable else { return }
        failure.withLock { $0 = Failure(extendedResultCode: error.extendedResultCode, message: error.message) }
    }
}

extension DatabaseError {
    /// Whether the error means the database cannot take writes at all right now (disk
    /// full, read-only, I/O error, cannot open, locked), rather than that this one write
    /// was wrong. A server answers such failures `503`, not `500` or `4xx`.
    public var isStorageUnavailable: Bool {
        switch resultCode {
        case SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_BUSY, SQLITE_LOCKED: true
        default: false
        }
    }
}
