internal import CSQLite

/// An error reported by SQLite, or a misuse of this SQLite layer detected before SQLite saw it.
///
/// The description names the result codes, SQLite's message and the SQL text, but never the
/// values bound to the statement: those are often patient data, and errors end up in logs.
/// For the same reason, SQL that carries data must use `?` placeholders, never interpolation.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// The primary result code (`SQLITE_CONSTRAINT`, `SQLITE_BUSY`, ...), i.e. the low byte
    /// of ``extendedResultCode``. Compare it with the constants in ``DatabaseError/Code``.
    public let resultCode: Int32

    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, ...), which says more precisely
    /// what went wrong. Equal to ``resultCode`` when SQLite has nothing more specific.
    public let extendedResultCode: Int32

    /// SQLite's message, or ours for misuse detected by this layer. Never contains bound values.
    public let message: String

    /// The SQL being prepared or executed, if any. Only the text: bound values are not kept.
    public let sql: String?

    /// The operating system's `errno` behind an I/O failure (`ENOSPC`, `EROFS`, ...), as
    /// SQLite recorded it; 0 when there was none.
    public let systemErrno: Int32

    /// Creates an error from its parts.
    ///
    /// - Parameters:
    ///   - extendedResultCode: An extended (or primary) SQLite result code; the primary code
    ///     is derived from its low byte.
    ///   - message: A human-readable message. Must not contain patient data.
    ///   - sql: The SQL text involved, if any.
    ///   - systemErrno: The `errno` behind an I/O failure, or 0.
    public init(extendedResultCode: Int32, message: String, sql: String? = nil, systemErrno: Int32 = 0) {
        // SQLite defines every extended code as `primary | (n << 8)`.
        self.resultCode = extendedResultCode & 0xFF
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
        self.systemErrno = systemErrno
    }

    /// Builds an error from a failed SQLite call on `connection`.
    ///
    /// SQLite's per-connection message is used only when it belongs to `code`: some calls
    /// (binds, for instance) return a code without always updating the connection's message,
    /// and a stale message from an earlier failure would mislead whoever reads the log.
    init(code: Int32, connection: OpaquePointer?, sql: String?) {
        let text: String
        if let connection, sqlite3_extended_errcode(connection) == code {
            text = String(cString: sqlite3_errmsg(connection))
        } else {
            text = String(cString: sqlite3_errstr(code))
        }
        self.init(extendedResultCode: code, message: text, sql: sql,
                  systemErrno: connection.map { sqlite3_system_errno($0) } ?? 0)
    }

    /// An error for a programmer mistake caught by this layer rather than by SQLite, such as
    /// reading a column with the wrong type, binding the wrong number of values, or handing
    /// several statements to `prepare`. It carries `SQLITE_MISUSE`.
    ///
    /// - Parameters:
    ///   - message: What was wrong, phrased for the developer. Must not contain patient data.
    ///   - sql: The SQL involved, if any.
    public static func misuse(_ message: String, sql: String? = nil) -> DatabaseError {
        DatabaseError(extendedResultCode: SQLITE_MISUSE, message: "misuse: \(message)", sql: sql)
    }

    /// An error for a column that holds a different storage class than the caller requires.
    ///
    /// - Parameters:
    ///   - column: The zero-based column index.
    ///   - expected: The storage class the caller needed, for example `"INTEGER"`.
    ///   - found: The storage class SQLite reported.
    ///   - sql: The statement that produced the row.
    public static func wrongColumnType(
        column: Int32, expected: String, found: String, sql: String?
    ) -> DatabaseError {
        misuse("column \(column) holds \(found), expected \(expected)", sql: sql)
    }

    /// A single line such as
    /// `SQLite error 19 (extended 2067): UNIQUE constraint failed: t.name; SQL: INSERT ...`.
    public var description: String {
        var text = "SQLite error \(resultCode)"
        if extendedResultCode != resultCode {
            text += " (extended \(extendedResultCode))"
        }
        text += ": \(message)"
        if let sql {
            text += "; SQL: \(sql)"
        }
        return text
    }
}

extension DatabaseError {
    /// Primary result codes that callers branch on, so that modules above storage can react
    /// to them without importing CSQLite themselves.
    public enum Code {
        /// `SQLITE_ERROR`: generic error, including SQL syntax errors and our own refusals.
        public static let error: Int32 = SQLITE_ERROR
        /// `SQLITE_BUSY`: another connection held a lock for longer than the busy timeout.
        public static let busy: Int32 = SQLITE_BUSY
        /// `SQLITE_READONLY`: a write was attempted through a read-only connection.
        public static let readOnly: Int32 = SQLITE_READONLY
        /// `SQLITE_CONSTRAINT`: a UNIQUE, NOT NULL, CHECK or FOREIGN KEY constraint failed.
        public static let constraint: Int32 = SQLITE_CONSTRAINT
        /// `SQLITE_FULL`: the disk is full.
        public static let full: Int32 = SQLITE_FULL
        /// `SQLITE_CANTOPEN`: a file could not be opened or created.
        public static let cannotOpen: Int32 = SQLITE_CANTOPEN
        /// `SQLITE_LOCKED`: a lock inside this process (a shared cache, a schema change).
        public static let locked: Int32 = SQLITE_LOCKED
        /// `SQLITE_IOERR`: the operating system failed a read, write or sync.
        public static let ioError: Int32 = SQLITE_IOERR
        /// `SQLITE_IOERR_WRITE`: a write to a file failed.
        public static let ioErrorWrite: Int32 = SQLITE_IOERR | (3 << 8)
        /// `SQLITE_MISUSE`: the API was used incorrectly (see ``DatabaseError/misuse(_:sql:)``).
        public static let misuse: Int32 = SQLITE_MISUSE
    }
}
