internal import CSQLite

/// A prepared SQLite statement. It owns its `sqlite3_stmt` and finalizes it in `deinit`.
///
/// Like ``Connection``, a statement is not `Sendable`: it belongs to the thread that holds its
/// connection. Obtain one from ``Connection/prepare(_:)`` or, for statements run often,
/// ``Connection/cachedStatement(_:)``.
///
/// Parameter and column indices follow SQLite: parameters count from 1, columns from 0.
///
/// A statement may outlive its connection without harm: connections close with
/// `sqlite3_close_v2`, which keeps the database handle alive until the last statement is
/// finalized.
public final class Statement {
    /// The C handle. Never nil: `Connection.prepare` refuses SQL that yields no statement.
    let handle: OpaquePointer

    /// The SQL text, kept for error messages. Bound values are deliberately not kept.
    public let sql: String

    /// Takes ownership of a freshly prepared handle.
    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        // sqlite3_finalize returns the error of the most recent step, which `step()` has
        // already thrown; there is nothing left to report here.
        sqlite3_finalize(handle)
    }

    // MARK: - Errors

    /// The error for a failed call on this statement, with SQLite's message and our SQL.
    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(code: code, connection: sqlite3_db_handle(handle), sql: sql)
    }

    // MARK: - Binding

    /// The number of `?` parameters in the SQL.
    public var parameterCount: Int32 {
        sqlite3_bind_parameter_count(handle)
    }

    /// Replaces all bindings with `values`, bound to parameters 1...n.
    ///
    /// The statement is reset first, so this is safe to call on a statement that was stepped
    /// before. Throws a misuse error if the number of values differs from ``parameterCount``:
    /// SQLite would silently treat missing parameters as NULL.
    public func bind(_ values: [SQLValue]) throws {
        reset()
        clearBindings()
        guard values.count == Int(parameterCount) else {
            throw DatabaseError.misuse(
                "statement has \(parameterCount) parameters but \(values.count) values were given",
                sql: sql)
        }
        for (offset, value) in values.enumerated() {
            // Safe conversion: offset < parameterCount, which is an Int32.
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one ``SQLValue`` to the 1-based parameter `index`.
    public func bind(_ value: SQLValue, at index: Int32) throws {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let v): try bind(v, at: index)
        case .real(let v): try bind(v, at: index)
        case .text(let v): try bind(v, at: index)
        case .blob(let v): try bind(v, at: index)
        }
    }

    /// Binds an integer to the 1-based parameter `index`.
    public func bind(_ value: Int64, at index: Int32) throws {
        let code = sqlite3_bind_int64(handle, index, value)
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Binds a double to the 1-based parameter `index`.
    public func bind(_ value: Double, at index: Int32) throws {
        let code = sqlite3_bind_double(handle, index, value)
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Binds text to the 1-based parameter `index`. SQLite copies the bytes.
    public func bind(_ value: String, at index: Int32) throws {
        var value = value
        // withUTF8 gives the exact byte count, so text containing NUL is stored whole rather
        // than cut at the first NUL as a C-string conversion would.
        let code = value.withUTF8 { utf8 -> Int32 in
            guard utf8.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
            // A nil pointer would bind NULL instead of the empty string, so point at a
            // static empty C string when the buffer has no storage.
            guard let base = utf8.baseAddress else {
                return sqlite3_bind_text(handle, index, "", 0, rehabsync_sqlite_transient())
            }
            return sqlite3_bind_text(
                handle, index, base, Int32(utf8.count), rehabsync_sqlite_transient())
        }
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Binds bytes to the 1-based parameter `index` as a BLOB. SQLite copies them, so the
    /// buffer only needs to live for the duration of the call. An empty buffer is stored as a
    /// zero-length blob, not NULL.
    public func bind(bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        guard bytes.count <= Int(Int32.max) else { throw error(SQLITE_TOOBIG) }
        let code: Int32
        if let base = bytes.baseAddress, bytes.count > 0 {
            code = sqlite3_bind_blob(
                handle, index, base, Int32(bytes.count), rehabsync_sqlite_transient())
        } else {
            // sqlite3_bind_blob with a nil pointer binds NULL; an empty blob is not NULL.
            code = sqlite3_bind_zeroblob(handle, index, 0)
        }
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Binds a byte array to the 1-based parameter `index` as a BLOB (empty is not NULL).
    public func bind(_ value: [UInt8], at index: Int32) throws {
        try value.withUnsafeBytes { try bind(bytes: $0, at: index) }
    }

    /// Binds UTF-8 bytes to the 1-based parameter `index` as TEXT, for text built as bytes
    /// (canonical JSON) that should read as text in SQLite's own tools. The caller
    /// guarantees valid UTF-8; SQLite copies the bytes.
    public func bind(utf8 bytes: [UInt8], at index: Int32) throws {
        guard bytes.count <= Int(Int32.max) else { throw error(SQLITE_TOOBIG) }
        let code = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress, !buffer.isEmpty else {
                return sqlite3_bind_text(handle, index, "", 0, rehabsync_sqlite_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                sqlite3_bind_text(handle, index, $0, Int32(buffer.count), rehabsync_sqlite_transient())
            }
        }
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Binds NULL to the 1-based parameter `index`.
    public func bindNull(at index: Int32) throws {
        let code = sqlite3_bind_null(handle, index)
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() {
        // Documented to always return SQLITE_OK.
        sqlite3_clear_bindings(handle)
    }

    // MARK: - Stepping

    /// Advances to the next row.
    ///
    /// - Returns: `true` when a row is available for the column accessors, `false` when the
    ///   statement has run to completion.
    /// - Throws: ``DatabaseError`` with the SQL. The statement is reset before the error is
    ///   thrown, so it can be reused (a cached statement stays usable after a failure).
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            return false
        default:
            // Capture the message before resetting, then reset so the statement does not stay
            // in its failed state (and does not hold a read lock).
            let failure = error(code)
            reset()
            throw failure
        }
    }

    /// Rewinds the statement so it can be stepped again. Bindings are kept.
    public func reset() {
        // sqlite3_reset returns the error of the most recent step, which `step()` has already
        // thrown; the reset itself cannot fail.
        sqlite3_reset(handle)
    }

    /// Binds `values` (unless nil), steps to completion and resets, discarding any rows.
    ///
    /// - Parameter values: The values for parameters 1...n, replacing all bindings. Pass nil
    ///   (the default) to keep bindings made with the typed `bind(_:at:)` methods.
    public func execute(_ values: [SQLValue]? = nil) throws {
        if let values { try bind(values) }
        defer { reset() }
        while try step() {}
    }

    /// Runs the query with the current bindings and maps every row with `transform`.
    /// The statement is reset afterwards, also when `transform` throws, so no read lock is
    /// left held by a half-consumed statement.
    ///
    /// - Parameter transform: Reads the current row through the column accessors.
    public func rows<T>(_ transform: (Statement) throws -> T) throws -> [T] {
        defer { reset() }
        var result: [T] = []
        while try step() {
            result.append(try transform(self))
        }
        return result
    }

    /// Binds `values` to parameters 1...n (replacing all bindings), then behaves like
    /// `rows(_:)`. Passing nil keeps the current bindings.
    public func rows<T>(
        _ values: [SQLValue]?, _ transform: (Statement) throws -> T
    ) throws -> [T] {
        if let values { try bind(values) }
        return try rows(transform)
    }

    /// Runs the query with the current bindings and maps its first row with `transform`;
    /// nil when there is no row. The statement is reset afterwards, also on error.
    public func firstRow<T>(_ transform: (Statement) throws -> T) throws -> T? {
        defer { reset() }
        guard try step() else { return nil }
        return try transform(self)
    }

    /// Binds `values` to parameters 1...n (replacing all bindings), then behaves like
    /// `firstRow(_:)`. Passing nil keeps the current bindings.
    public func firstRow<T>(
        _ values: [SQLValue]?, _ transform: (Statement) throws -> T
    ) throws -> T? {
        if let values { try bind(values) }
        return try firstRow(transform)
    }

    // MARK: - Columns

    /// The number of columns in a result row.
    public var columnCount: Int32 {
        sqlite3_column_count(handle)
    }

    /// The name of column `index` as SQLite reports it (the `AS` alias if one is given).
    public func columnName(at index: Int32) -> String {
        guard let name = sqlite3_column_name(handle, index) else { return "" }
        return String(cString: name)
    }

    /// Whether column `index` of the current row is NULL.
    public func isNull(at index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` as an integer, with SQLite's conversions (NULL reads as 0).
    public func int64(at index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` as a double, with SQLite's conversions (NULL reads as 0.0).
    public func double(at index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// Column `index` as text; nil when it is NULL.
    public func text(at index: Int32) -> String? {
        guard sqlite3_column_type(handle, index) != SQLITE_NULL,
              let bytes = sqlite3_column_text(handle, index)
        else { return nil }
        // sqlite3_column_bytes must come after sqlite3_column_text, which may convert the
        // value and change its length.
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes; empty when it is NULL.
    public func blob(at index: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, index) else { return [] }
        // sqlite3_column_bytes must come after sqlite3_column_blob (see `text(at:)`).
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Lends the bytes of column `index` (a BLOB, or TEXT as UTF-8) to `body` without
    /// copying them; empty when it is NULL. The buffer belongs to SQLite and is valid only
    /// during the call, until the statement steps or resets.
    public func withBytes<T>(at index: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        guard let bytes = sqlite3_column_blob(handle, index) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        // sqlite3_column_bytes must come after sqlite3_column_blob (see `text(at:)`).
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeBufferPointer(start: bytes.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// Column `index` as the ``SQLValue`` matching its storage class.
    public func value(at index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(int64(at: index))
        case SQLITE_FLOAT: return .real(double(at: index))
        // text(at:) is nil only for NULL or out-of-memory; treat both as NULL.
        case SQLITE_TEXT: return text(at: index).map(SQLValue.text) ?? .null
        case SQLITE_BLOB: return .blob(blob(at: index))
        default: return .null
        }
    }

    /// Column `index` as an integer, throwing unless it holds an INTEGER.
    ///
    /// Use this where a NULL or a string would mean a corrupt or foreign row: the plain
    /// accessor would silently read it as 0.
    public func requireInt64(at index: Int32) throws -> Int64 {
        try requireType(SQLITE_INTEGER, at: index)
        return int64(at: index)
    }

    /// Column `index` as text, throwing unless it holds TEXT.
    public func requireText(at index: Int32) throws -> String {
        try requireType(SQLITE_TEXT, at: index)
        guard let value = text(at: index) else {
            // Type was TEXT, so a nil pointer can only mean SQLite ran out of memory.
            throw error(SQLITE_NOMEM)
        }
        return value
    }

    /// Column `index` as bytes, throwing unless it holds a BLOB.
    public func requireBlob(at index: Int32) throws -> [UInt8] {
        try requireType(SQLITE_BLOB, at: index)
        return blob(at: index)
    }

    private func requireType(_ expected: Int32, at index: Int32) throws {
        let found = sqlite3_column_type(handle, index)
        guard found == expected else {
            throw DatabaseError.wrongColumnType(
                column: index, expected: Self.typeName(expected), found: Self.typeName(found),
                sql: sql)
        }
    }

    private static func typeName(_ type: Int32) -> String {
        switch type {
        case SQLITE_INTEGER: "INTEGER"
        case SQLITE_FLOAT: "REAL"
        case SQLITE_TEXT: "TEXT"
        case SQLITE_BLOB: "BLOB"
        default: "NULL"
        }
    }
}
