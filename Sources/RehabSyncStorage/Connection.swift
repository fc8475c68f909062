internal import CSQLite

/// How a transaction takes its locks.
public enum TransactionKind: Sendable {
    /// `BEGIN DEFERRED`: no lock until the first read; in WAL mode the snapshot is fixed by
    /// the first read and kept until the end. Used for read transactions.
    case deferred
    /// `BEGIN IMMEDIATE`: takes the write lock at once, so the transaction cannot fail later
    /// with `SQLITE_BUSY` when it first writes. Used for every write transaction.
    case immediate

    var beginSQL: String {
        switch self {
        case .deferred: "BEGIN DEFERRED"
        case .immediate: "BEGIN IMMEDIATE"
        }
    }
}

/// One SQLite connection.
///
/// Not `Sendable`: it is opened with `SQLITE_OPEN_NOMUTEX`, so SQLite does no locking of its
/// own and the owner must make sure only one thread uses it at a time. ``DatabasePool`` does
/// that; most code should use the pool rather than a connection directly.
public final class Connection {
    /// The C handle; valid until `deinit`.
    let handle: OpaquePointer

    /// The path the connection was opened with.
    public let path: String

    /// The checkpointer the WAL hook calls; retained here so the hook's context stays valid.
    private var commitObserver: BackgroundCheckpointer?

    /// Statements prepared with `SQLITE_PREPARE_PERSISTENT`, keyed by the address of their
    /// SQL literal.
    private var statementCache: [Int: Statement] = [:]

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - path: The database file. Created if missing, unless `readOnly`, with mode 0600
    ///     (see ``OwnerOnlyFiles``).
    ///   - readOnly: Opens with `SQLITE_OPEN_READONLY`; writes then fail with
    ///     ``DatabaseError/Code/readOnly``.
    ///   - busyTimeoutMilliseconds: How long SQLite retries on a lock held by another
    ///     connection before failing with `SQLITE_BUSY`.
    public init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws {
        // A file SQLite created would get mode 0644 whatever the data; create it owner-only
        // first, and SQLite gives the -wal and -shm files the same mode.
        if !readOnly { try OwnerOnlyFiles.createFile(atPath: path) }
        SQLiteLibrary.configureOnce()
        // NOMUTEX: callers serialise access (see the type's documentation), so SQLite's own
        // per-connection mutex would be pure overhead.
        let flags = SQLITE_OPEN_NOMUTEX
            | (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            // Even a failed open usually allocates a handle, which holds the message and must
            // be closed.
            let error = DatabaseError(code: code, connection: opened, sql: nil)
            sqlite3_close_v2(opened)
            throw DatabaseError(
                extendedResultCode: error.extendedResultCode,
                message: "cannot open database at \(path): \(error.message)")
        }
        self.handle = opened
        self.path = path

        // From here on `deinit` closes the handle if a setting fails.
        // Extended codes tell a UNIQUE violation from a NOT NULL one, for instance.
        let extended = sqlite3_extended_result_codes(handle, 1)
        guard extended == SQLITE_OK else {
            throw DatabaseError(code: extended, connection: handle, sql: nil)
        }
        let busy = sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        guard busy == SQLITE_OK else {
            throw DatabaseError(code: busy, connection: handle, sql: nil)
        }
    }

    deinit {
        // Drop our references to cached statements first, so the ones nobody else holds are
        // finalized before the connection closes. sqlite3_close_v2 (unlike sqlite3_close)
        // copes with statements still held elsewhere: the handle stays alive until they are
        // finalized. It then always returns SQLITE_OK, so there is nothing to check.
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: - Executing SQL

    /// Runs one or more `;`-separated statements without parameters, such as a migration's
    /// DDL or a `PRAGMA`. Rows are discarded.
    ///
    /// Never build this SQL from patient data: the SQL text appears in error descriptions.
    /// Use a prepared statement with bound values instead.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        // sqlite3_exec allocates the message with sqlite3_malloc; we own it.
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            if let message {
                throw DatabaseError(
                    extendedResultCode: code, message: String(cString: message), sql: sql,
                    systemErrno: sqlite3_system_errno(handle))
            }
            throw DatabaseError(code: code, connection: handle, sql: sql)
        }
    }

    /// Prepares a single statement. The caller owns it; it is finalized when released.
    ///
    /// - Throws: A ``DatabaseError`` for invalid SQL, and a misuse error if `sql` holds no
    ///   statement or more than one (use ``execute(_:)`` for scripts).
    public func prepare(_ sql: String) throws -> Statement {
        try prepare(sql, flags: 0)
    }

    /// Returns the cached statement for `sql`, preparing it on first use with
    /// `SQLITE_PREPARE_PERSISTENT` (a hint that it lives long, so SQLite avoids its lookaside
    /// memory for it).
    ///
    /// The statement is reset and its bindings cleared before it is returned, so a statement
    /// left half-stepped or failed by an earlier caller is safe to reuse. The cache lives as
    /// long as the connection. The SQL is a literal, so it can never be built at run time,
    /// and the cache is keyed by the literal's address: a push fetches several statements
    /// per record, and hashing their text cost more than running some of them.
    public func cachedStatement(_ sql: StaticString) throws -> Statement {
        precondition(sql.hasPointerRepresentation, "cached SQL must be a string literal")
        let key = Int(bitPattern: sql.utf8Start)
        if let statement = statementCache[key] {
            statement.reset()
            statement.clearBindings()
            return statement
        }
        let statement = try prepare(sql.description, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        statementCache[key] = statement
        return statement
    }

    private func prepare(_ sql: String, flags: UInt32) throws -> Statement {
        var prepared: OpaquePointer?
        // Whether anything other than whitespace and semicolons follows the first statement.
        var hasTrailingSQL = false
        let code = sql.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(handle, start, -1, flags, &prepared, &tail)
            if code == SQLITE_OK, var cursor = tail {
                while cursor.pointee != 0 {
                    // Space, \t, \n, \r and ';' may follow the statement.
                    if ![32, 9, 10, 13, 59].contains(cursor.pointee) {
                        hasTrailingSQL = true
                        break
                    }
                    cursor += 1
                }
            }
            return code
        }
        guard code == SQLITE_OK else {
            throw DatabaseError(code: code, connection: handle, sql: sql)
        }
        guard let prepared else {
            throw DatabaseError.misuse("SQL contains no statement", sql: sql)
        }
        guard !hasTrailingSQL else {
            // Only the first statement would run; the rest would be silently ignored.
            sqlite3_finalize(prepared)
            throw DatabaseError.misuse(
                "SQL contains more than one statement; use Connection.execute(_:)", sql: sql)
        }
        return Statement(handle: prepared, sql: sql)
    }

    // MARK: - State

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// The number of rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int {
        Int(sqlite3_changes(handle))
    }

    /// Whether a transaction is open (SQLite is out of autocommit mode).
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    // MARK: - Transactions

    /// Runs `body` inside a transaction: commits if it returns, rolls back if it throws.
    ///
    /// The first error is what the caller sees: if `body` throws, or the COMMIT fails, the
    /// rollback that follows is best-effort and its own failure is not reported, because it
    /// would hide the cause. Transactions do not nest; calling this inside `body` throws.
    ///
    /// - Parameters:
    ///   - kind: `.immediate` for writes, `.deferred` for reads.
    ///   - body: The work to do in the transaction.
    /// - Returns: What `body` returned.
    public func inTransaction<T>(_ kind: TransactionKind, _ body: () throws -> T) throws -> T {
        try execute(kind.beginSQL)
        let result: T
        do {
            result = try body()
            try execute("COMMIT")
        } catch {
            rollbackAfterFailure()
            throw error
        }
        return result
    }

    /// Rolls back if a transaction is still open, ignoring any failure (see `inTransaction`).
    private func rollbackAfterFailure() {
        // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) or the body itself may have ended the
        // transaction already; a ROLLBACK then would only fail with "no transaction is active".
        guard isInTransaction else { return }
        // Ignored on purpose: the error being propagated is the one that explains the
        // failure. If the rollback failed, the connection is still in a transaction, which
        // `isInTransaction` lets the owner detect (DatabasePool discards such readers).
        _ = try? execute("ROLLBACK")
    }

    // MARK: - Pragmas

    /// Reads `PRAGMA name` as text; nil if the pragma returns no row or NULL.
    ///
    /// - Parameter name: A pragma name such as `journal_mode` (letters, digits and `_` only,
    ///   since it cannot be bound as a parameter).
    public func pragmaText(_ name: String) throws -> String? {
        let row: String?? = try prepare(pragmaSQL(name)).firstRow { $0.text(at: 0) }
        // Outer nil: no row; inner nil: a NULL value. Both mean "no value".
        return row ?? nil
    }

    /// Reads `PRAGMA name` as an integer; nil if the pragma returns no row or NULL.
    ///
    /// - Parameter name: A pragma name such as `user_version`.
    public func pragmaInt(_ name: String) throws -> Int64? {
        let row: Int64?? = try prepare(pragmaSQL(name)).firstRow {
            $0.isNull(at: 0) ? nil : $0.int64(at: 0)
        }
        // Outer nil: no row; inner nil: a NULL value. Both mean "no value".
        return row ?? nil
    }

    private func pragmaSQL(_ name: String) throws -> String {
        // The name goes into the SQL text, so allow only what a pragma name can contain.
        let valid = !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90)
                || (byte >= 48 && byte <= 57) || byte == 95
        }
        guard valid else {
            throw DatabaseError.misuse("invalid pragma name \"\(name)\"")
        }
        return "PRAGMA \(name)"
    }

    // MARK: - WAL

    /// Hands every commit on this connection to `checkpointer`, with the WAL's size, in
    /// place of SQLite's automatic checkpoint (which uses the same hook). The connection
    /// keeps the checkpointer alive.
    func observeCommits(checkpointer: BackgroundCheckpointer) {
        commitObserver = checkpointer
        sqlite3_wal_hook(handle, { context, database, _, frames in
            // Safe because the context is the checkpointer this connection retains in
            // `commitObserver` for as long as the hook is installed.
            let checkpointer = Unmanaged<BackgroundCheckpointer>.fromOpaque(context!).takeUnretainedValue()
            if frames >= checkpointer.inlineFrames {
                // The background queue has fallen far behind: copy now, as SQLite would.
                sqlite3_wal_checkpoint_v2(database, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else {
                checkpointer.committed(walFrames: frames)
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
    }

    /// Copies the write-ahead log into the database file.
    ///
    /// - Parameter truncate: `true` for `SQLITE_CHECKPOINT_TRUNCATE`: waits (up to the busy
    ///   timeout) for readers and writers, checkpoints everything and truncates the WAL to
    ///   zero bytes, as wanted at shutdown. `false` for a passive checkpoint that never waits
    ///   and copies what it can.
    /// - Throws: ``DatabaseError`` with ``DatabaseError/Code/busy`` if a truncating
    ///   checkpoint could not finish because other connections stayed busy.
    public func checkpoint(truncate: Bool) throws {
        let mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE
        let code = sqlite3_wal_checkpoint_v2(handle, nil, mode, nil, nil)
        guard code == SQLITE_OK else {
            throw DatabaseError(
                code: code, connection: handle,
                sql: truncate ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)")
        }
    }
}
