import Dispatch
import Synchronization

/// The way the rest of RehabSync uses SQLite: one writer connection plus a small pool of
/// read-only connections on the same WAL-mode database file.
///
/// - Writes are serialised through the single writer (behind a lock) and each runs in a
///   `BEGIN IMMEDIATE` transaction, so they never fail half-way with `SQLITE_BUSY`.
/// - Reads run on read-only connections, each in a deferred transaction: thanks to WAL, a
///   read sees one consistent snapshot and neither blocks nor is blocked by the writer.
///
/// All methods block the calling thread (SQLite is synchronous): call them from worker
/// threads, not from Swift concurrency's cooperative pool. Calls do not nest: calling
/// ``write(_:)`` inside a `write` body deadlocks, and a `read` inside a `write` body does not
/// see the write's uncommitted changes.
///
/// Closures receive a ``Connection`` that is valid only during the call; do not keep it. The
/// results must be `Sendable`, which also stops a connection or statement from escaping.
public final class DatabasePool: Sendable {
    /// The database file.
    public let path: String

    /// The settings the pool was opened with.
    public let configuration: DatabaseConfiguration

    /// Whether the last write committed; every ``write(_:)`` records its outcome here.
    public let health = StorageHealth()

    /// The single writer connection, used only by the thread holding `writerTurn`.
    private let writer: ConnectionBox

    /// Whether the writer runs with `synchronous=NORMAL` for a deferred-sync write; read
    /// and written only by the thread holding `writerTurn`.
    private nonisolated(unsafe) var fullSyncRelaxed = false

    /// Holding this is what makes a thread the writer. A semaphore rather than a `Mutex`:
    /// on Linux a contended `Mutex` is a priority-inheriting futex whose waiters spin while
    /// the owner runs, and a writer holds its turn through a whole transaction, fsync
    /// included. With eight pushes waiting, the spinning took a core away from parsing.
    private let writerTurn = DispatchSemaphore(value: 1)

    /// Reader connections not currently lent out. Opened lazily, so the count grows up to
    /// `configuration.maximumReaderCount` only under concurrent reads.
    private let idleReaders: Mutex<[ConnectionBox]>

    /// Copies the WAL into the database file off the writer; nil when SQLite's automatic
    /// checkpoint does it (``DatabaseConfiguration/checkpointsInBackground``).
    private let checkpointer: BackgroundCheckpointer?

    /// The latest write's storage fault, who to tell when it changes, and an injected one.
    private let commitHealth = Mutex(CommitHealth())

    private struct CommitHealth {
        var fault: StorageFault?
        var observer: (@Sendable (StorageFault?, DatabaseError?) -> Void)?
        var injected: DatabaseError?
    }

    /// Counts free reader slots. `Mutex` cannot wait for a condition, so a semaphore makes a
    /// reader wait when all `maximumReaderCount` connections are lent out. Because at most
    /// that many readers hold a slot, and a connection is opened only when none is idle,
    /// no more than `maximumReaderCount` reader connections ever exist.
    private let readerSlots: DispatchSemaphore

    /// Opens (creating if needed) the database at `path`, configures the writer and runs
    /// the migrations.
    ///
    /// - Parameters:
    ///   - path: The database file. The directory must be writable: WAL mode keeps `-wal`
    ///     and `-shm` files next to it.
    ///   - configuration: Timeouts, reader count, durability.
    ///   - migrator: Brings the schema up to date before any read or write.
    /// - Throws: ``DatabaseError`` if the file cannot be opened, WAL mode cannot be enabled,
    ///   a migration fails, or the file was written by a newer RehabSync.
    public init(
        path: String, configuration: DatabaseConfiguration = .init(), migrator: Migrator
    ) throws {
        precondition(configuration.maximumReaderCount >= 1, "maximumReaderCount must be >= 1")
        // SQLite ignores any other page size without a word.
        precondition((512...65_536).contains(configuration.pageSizeBytes) && configuration.pageSizeBytes.nonzeroBitCount == 1,
                     "pageSizeBytes must be a power of two from 512 to 65536")
        let connection = try Connection(
            path: path, readOnly: false,
            busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        try Self.configureWriter(connection, configuration)
        try migrator.migrate(connection)
        if configuration.checkpointsInBackground {
            let checkpointer = try BackgroundCheckpointer(path: path, configuration: configuration)
            connection.observeCommits(checkpointer: checkpointer)
            self.checkpointer = checkpointer
        } else {
            checkpointer = nil
        }

        self.path = path
        self.configuration = configuration
        self.writer = ConnectionBox(connection)
        self.idleReaders = Mutex([])
        self.readerSlots = DispatchSemaphore(value: configuration.maximumReaderCount)
    }

    deinit {
        // Let a running checkpoint finish; its connection closes with the writer, which
        // retains it. Close the readers before the writer (released after this body): the
        // last connection to close checkpoints and removes the WAL, which only the writer can.
        checkpointer?.drain()
        idleReaders.withLock { $0.removeAll() }
    }

    private static func configureWriter(
        _ connection: Connection, _ configuration: DatabaseConfiguration
    ) throws {
        // SQLite answers with the mode actually in effect, which stays the old one when WAL
        // is impossible (an in-memory database, some network file systems). Readers that do
        // not block the writer depend on WAL, so anything else is an error.
        // Before anything is written: SQLite takes the page size of a new file from this
        // pragma and ignores it for a file that has pages already (WAL cannot change it).
        try connection.execute("PRAGMA page_size=\(configuration.pageSizeBytes)")
        let row: String?? = try connection.prepare("PRAGMA journal_mode=WAL")
            .firstRow { $0.text(at: 0) }
        let mode = (row ?? nil) ?? "no answer"
        guard mode.lowercased() == "wal" else {
            throw DatabaseError(
                extendedResultCode: DatabaseError.Code.error,
                message: "cannot enable WAL journal mode at \(connection.path): "
                    + "SQLite kept journal_mode \(mode)",
                sql: "PRAGMA journal_mode=WAL")
        }
        // FULL: an acknowledged write must survive power loss (see DatabaseConfiguration).
        try connection.execute(
            configuration.synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        try connection.execute("PRAGMA cache_size=-\(max(configuration.writerCacheKibibytes, 0))")
        // Foreign keys are off by default in SQLite, per connection; only the writer writes.
        try connection.execute("PRAGMA foreign_keys=ON")
        guard try connection.pragmaInt("foreign_keys") == 1 else {
            throw DatabaseError(
                extendedResultCode: DatabaseError.Code.error,
                message: "this SQLite build cannot enforce foreign keys",
                sql: "PRAGMA foreign_keys=ON")
        }
    }

    // MARK: - Writing

    /// Runs `body` on the writer in a `BEGIN IMMEDIATE` transaction; commits when it returns,
    /// rolls back and rethrows the first error when it throws.
    ///
    /// Waits for any other write to finish first.
    ///
    /// A failure that is a ``StorageFault`` (full disk, read-only file system, lock held
    /// elsewhere, I/O error) becomes ``lastCommitFault`` until a write commits again.
    public func write<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        writerTurn.wait()
        defer { writerTurn.signal() }
        try restoreFullSync()
        return try transaction(body)
    }

    /// ``write(_:)`` committed with `synchronous=NORMAL`, for data that can be fetched
    /// again: the commit is atomic and survives the process being killed, but a power
    /// loss may take it back until the next commit with `synchronous=FULL` syncs the WAL.
    /// That sync covers every frame before it, so nothing committed later (in FULL, as
    /// every other write is) survives without this. A caller must commit here only what
    /// may be lost whole, together with whatever records having it (a pulled page and its
    /// cursor). With `synchronousFull` off, the same as ``write(_:)``.
    public func writeDeferringSync<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        writerTurn.wait()
        defer { writerTurn.signal() }
        guard configuration.synchronousFull else { return try transaction(body) }
        try restoreFullSync()
        try writer.connection.execute("PRAGMA synchronous=NORMAL")
        fullSyncRelaxed = true
        defer { try? restoreFullSync() }
        return try transaction(body)
    }

    /// Sets `synchronous=FULL` back after ``writeDeferringSync(_:)``; every write asks
    /// first, so a failed restore can never leave a later write relaxed. Under `writerTurn`.
    private func restoreFullSync() throws {
        guard fullSyncRelaxed else { return }
        try writer.connection.execute("PRAGMA synchronous=FULL")
        fullSyncRelaxed = false
    }

    /// One write transaction on the writer, its outcome noted; under `writerTurn`.
    private func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        do {
            if let injected = commitHealth.withLock({ $0.injected }) { throw injected }
            let result = try writer.connection.inTransaction(.immediate) { try body(writer.connection) }
            noteCommit(nil)
            health.recordCommit()
            return result
        } catch let error as DatabaseError where error.storageFault != nil {
            noteCommit(error)
            health.recordFailure(error)
            throw error
        } catch {
            health.recordFailure(error)
            throw error
        }
    }

    // MARK: - Commit health

    /// The storage fault the latest write transaction failed with; nil once a write has
    /// committed since (or none has failed). This is the "can the database commit?" signal
    /// a readiness check reads. Failures of the request itself (a constraint, a refused
    /// record) say nothing about the storage and leave it as it is.
    public var lastCommitFault: StorageFault? {
        commitHealth.withLock { $0.fault }
    }

    /// Calls `observer` each time ``lastCommitFault`` changes: with the fault and the
    /// error that showed it when one begins (or turns into another), with nils when a
    /// write commits again. Called on the writing thread, outside any lock of the pool;
    /// one observer, a later call replaces it. The server logs one line per change.
    public func observeCommitFaults(_ observer: @escaping @Sendable (StorageFault?, DatabaseError?) -> Void) {
        commitHealth.withLock { $0.observer = observer }
    }

    /// Test hook for faults a test cannot make for real, such as a file system turning
    /// read-only under open files (the kernel refuses that remount while files are open
    /// for writing): while set, every write transaction fails with `error` before it
    /// reaches SQLite, exactly as it fails when SQLite reports it. Nil clears it.
    public func injectWriteFault(_ error: DatabaseError?) {
        commitHealth.withLock { $0.injected = error }
    }

    private func noteCommit(_ error: DatabaseError?) {
        let fault = error?.storageFault
        let observer = commitHealth.withLock { health -> (@Sendable (StorageFault?, DatabaseError?) -> Void)? in
            guard health.fault != fault else { return nil }
            health.fault = fault
            return health.observer
        }
        observer?(fault, error)
    }

    /// Runs `body` on the writer without opening a transaction, for statements that cannot
    /// run inside one (some pragmas, `VACUUM`, checkpoints).
    public func writeWithoutTransaction<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        writerTurn.wait()
        defer { writerTurn.signal() }
        try restoreFullSync()
        return try body(writer.connection)
    }

    /// Copies the whole WAL into the database file and truncates the WAL; for graceful
    /// shutdown, so the file on disk is complete on its own.
    ///
    /// - Throws: ``DatabaseError`` with ``DatabaseError/Code/busy`` if readers kept the WAL
    ///   in use for longer than the busy timeout.
    public func checkpoint() throws {
        checkpointer?.drain()
        try writeWithoutTransaction { try $0.checkpoint(truncate: true) }
    }

    // MARK: - Reading

    /// Runs `body` on a read-only connection in a deferred transaction, so everything it
    /// reads comes from one snapshot, unaffected by writes that commit meanwhile.
    ///
    /// Waits when all `maximumReaderCount` readers are in use. Writing through the
    /// connection fails with ``DatabaseError/Code/readOnly``.
    public func read<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        readerSlots.wait()
        defer { readerSlots.signal() }

        let box = try idleReaders.withLock { $0.popLast() } ?? openReader()
        defer {
            // A reader still in a transaction (its rollback failed) would pin an old
            // snapshot for its next user; let it close instead of returning it.
            if !box.connection.isInTransaction {
                idleReaders.withLock { $0.append(box) }
            }
        }
        return try box.connection.inTransaction(.deferred) { try body(box.connection) }
    }

    /// Opens a new reader connection. Called without any lock held, since opening does I/O.
    private func openReader() throws -> ConnectionBox {
        let connection = try Connection(
            path: path, readOnly: true,
            busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        // Defence in depth: besides the read-only open, refuse writes at the SQL level too.
        try connection.execute("PRAGMA query_only=ON")
        try connection.execute("PRAGMA cache_size=-\(max(configuration.readerCacheKibibytes, 0))")
        try connection.execute("PRAGMA mmap_size=\(max(configuration.readerMmapBytes, 0))")
        return ConnectionBox(connection)
    }
}

/// Lets a ``Connection`` live in a `Mutex` (or behind a semaphore) and be lent to the
/// caller's closure.
///
/// The box is needed because `Mutex.withLock` hands out its value as `inout sending`, and
/// region-based isolation cannot prove that a connection passed to the caller's (task-
/// isolated) closure, or taken out of `Mutex<[Connection]>` and later put back, is not shared
/// meanwhile; it rejects both.
///
/// Invariant that makes `@unchecked Sendable` sound: the connection is used by one thread at
/// a time. The writer's box is touched only while holding `DatabasePool.writerTurn`. A
/// reader's box is either in `DatabasePool.idleReaders` (touched only under that lock) or
/// lent to exactly one `read` call, which took it out under the lock and puts it back (under
/// the lock) only after its last use of the connection.
final class ConnectionBox: @unchecked Sendable {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }
}
