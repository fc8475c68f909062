internal import CSQLite

/// The parameters of one run of a statement, their text and blob bytes gathered in one
/// buffer that SQLite reads in place (``Statement/execute(_:)``, ``Statement/rows(_:_:)``).
///
/// Binding a value the ordinary way (``Statement/bind(_:at:)-(String,_)``) has SQLite copy
/// it into memory of its own and free that copy when the parameter is bound again. For a
/// statement that inserts sixteen records of a push, each with a state of a kilobyte or
/// more, those copies and frees cost more per record than building the rows does; one
/// copy into a buffer that lives as long as the transaction costs a fraction.
struct ParameterBuffer {
    /// One parameter: an integer, NULL, or where its bytes lie in `bytes`.
    private enum Value {
        case integer(Int64)
        case null
        case text(start: Int, count: Int)
        case blob(start: Int, count: Int)
    }

    private var values: [Value] = []
    private var bytes: [UInt8] = []

    /// Forgets every parameter, keeping the memory for the next run.
    mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Makes room for `parameters` more parameters and `byteCount` more bytes of text and blobs.
    mutating func reserve(parameters: Int, byteCount: Int) {
        values.reserveCapacity(values.count + parameters)
        bytes.reserveCapacity(bytes.count + byteCount)
    }

    /// Appends an integer parameter.
    mutating func append(_ value: Int64) {
        values.append(.integer(value))
    }

    /// Appends a text parameter; its exact UTF-8 bytes (NUL included) are stored.
    mutating func append(_ value: String) {
        let start = bytes.count
        bytes.append(contentsOf: value.utf8)
        values.append(.text(start: start, count: bytes.count - start))
    }

    /// Appends a NULL parameter.
    mutating func appendNull() {
        values.append(.null)
    }

    /// Appends a text parameter, or NULL for nil.
    mutating func append(_ value: String?) {
        guard let value else {
            values.append(.null)
            return
        }
        append(value)
    }

    /// Appends a blob parameter (empty is a zero-length blob, not NULL).
    mutating func append(blob value: [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: value)
        values.append(.blob(start: start, count: value.count))
    }

    /// Binds every parameter to `statement`, 1 to ``count``, without copying, and runs
    /// `body` while the bytes are bound. Every binding is cleared before this returns, also
    /// when `body` throws: SQLite must never keep a pointer into the buffer once the buffer
    /// may move or be freed.
    func withBindings<T>(to statement: Statement, _ body: () throws -> T) throws -> T {
        guard values.count == Int(statement.parameterCount) else {
            throw DatabaseError.misuse(
                "statement has \(statement.parameterCount) parameters but \(values.count) values were given", sql: statement.sql)
        }
        guard values.count <= Int(Int32.max), bytes.count <= Int(Int32.max) else {
            throw DatabaseError.misuse("too many parameters or bytes to bind", sql: statement.sql)
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            defer {
                // Reset first: a statement stopped on a row keeps reading its bindings.
                statement.reset()
                statement.clearBindings()
            }
            for (offset, value) in values.enumerated() {
                // Safe conversion: checked above against Int32.max.
                let index = Int32(offset + 1)
                switch value {
                case .integer(let integer):
                    try statement.bind(integer, at: index)
                case .null:
                    try statement.bindNull(at: index)
                case .text(let start, let count):
                    try statement.bindStatic(text: buffer.baseAddress.map { $0 + start }, count: count, at: index)
                case .blob(let start, let count):
                    try statement.bindStatic(blob: buffer.baseAddress.map { $0 + start }, count: count, at: index)
                }
            }
            return try body()
        }
    }
}

extension Statement {
    /// Binds `parameters` (``ParameterBuffer``), steps to completion and clears the bindings.
    func execute(_ parameters: ParameterBuffer) throws {
        try parameters.withBindings(to: self) {
            while try step() {}
        }
    }

    /// Binds `parameters` (``ParameterBuffer``) and maps every row with `transform`; the
    /// bindings are cleared afterwards.
    func rows<T>(_ parameters: ParameterBuffer, _ transform: (Statement) throws -> T) throws -> [T] {
        try parameters.withBindings(to: self) {
            var result: [T] = []
            while try step() { result.append(try transform(self)) }
            return result
        }
    }

    /// Binds `count` bytes of UTF-8 text at `start`, which SQLite reads in place (no copy)
    /// until the parameter is bound again or cleared: only for ``ParameterBuffer``, whose
    /// buffer outlives the binding.
    fileprivate func bindStatic(text start: UnsafePointer<UInt8>?, count: Int, at index: Int32) throws {
        let code: Int32
        if let start, count > 0 {
            code = start.withMemoryRebound(to: CChar.self, capacity: count) {
                sqlite3_bind_text(handle, index, $0, Int32(count), nil)
            }
        } else {
            // The empty string, not NULL (which a nil pointer would bind), copied by SQLite:
            // the pointer Swift makes for a literal is only promised for the call.
            code = sqlite3_bind_text(handle, index, "", 0, rehabsync_sqlite_transient())
        }
        guard code == SQLITE_OK else { throw DatabaseError(code: code, connection: sqlite3_db_handle(handle), sql: sql) }
    }

    /// Binds `count` bytes at `start` as a BLOB that SQLite reads in place, as
    /// ``bindStatic(text:count:at:)`` does; empty is a zero-length blob, not NULL.
    fileprivate func bindStatic(blob start: UnsafePointer<UInt8>?, count: Int, at index: Int32) throws {
        let code: Int32
        if let start, count > 0 {
            code = sqlite3_bind_blob(handle, index, start, Int32(count), nil)
        } else {
            code = sqlite3_bind_zeroblob(handle, index, 0)
        }
        guard code == SQLITE_OK else { throw DatabaseError(code: code, connection: sqlite3_db_handle(handle), sql: sql) }
    }
}
