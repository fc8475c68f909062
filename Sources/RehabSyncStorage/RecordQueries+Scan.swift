internal import CSQLite

extension RecordQueries {
    /// Visits records in the caller's snapshot one at a time, so that a report over
    /// millions of records holds one state at a time rather than all of them. With
    /// `collection`, only that collection's records (through its index); without, every
    /// record in storage order (one sequential pass), skipping `excluding`.
    ///
    /// The body gets the collection, the patient and the canonical bytes of the state,
    /// borrowed from SQLite: valid only during the call, copy what must outlive it.
    ///
    /// `rows` limits the pass to a range of row ids (``maximumRowID()``), so that two
    /// readers can share one pass.
    public func forEachRecord(
        in collection: String? = nil, excluding: String? = nil, rows: ClosedRange<Int64> = 0...Int64.max,
        _ body: (_ collection: String, _ patient: String?, _ stateBytes: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let statement: Statement
        if let collection {
            statement = try connection.cachedStatement("SELECT collection, patient, state FROM records WHERE collection = ? AND id BETWEEN ? AND ?")
            try statement.bind(collection, at: 1)
        } else {
            statement = try connection.cachedStatement("SELECT collection, patient, state FROM records WHERE collection <> ? AND id BETWEEN ? AND ?")
            try statement.bind(excluding ?? "", at: 1)
        }
        try statement.bind(rows.lowerBound, at: 2)
        try statement.bind(rows.upperBound, at: 3)
        try visitRows(statement, body)
    }

    /// The highest row id of the records table; 0 when it is empty.
    public func maximumRowID() throws -> Int64 {
        try connection.cachedStatement("SELECT coalesce(max(id), 0) FROM records").firstRow { $0.int64(at: 0) } ?? 0
    }

    private func visitRows(
        _ statement: Statement, _ body: (_ collection: String, _ patient: String?, _ stateBytes: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        defer { statement.reset() }
        while try statement.step() {
            let name = try statement.requireText(at: 0)
            let patient = statement.text(at: 1)
            // sqlite3_column_bytes after sqlite3_column_blob, as SQLite requires.
            let pointer = sqlite3_column_blob(statement.handle, 2)
            let count = Int(sqlite3_column_bytes(statement.handle, 2))
            try body(name, patient, UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
        }
    }
}
