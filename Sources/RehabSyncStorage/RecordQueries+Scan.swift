extension RecordQueries {
    /// Visits every record of `collection` in the caller's snapshot, one at a time, so that
    /// a report over millions of records holds one state at a time rather than all of them.
    /// The body gets the record's patient and the canonical bytes of its state.
    public func forEachRecord(in collection: String, _ body: (_ patient: String?, _ stateBytes: [UInt8]) throws -> Void) throws {
        let statement = try connection.cachedStatement("SELECT patient, state FROM records WHERE collection = ?")
        try statement.bind(collection, at: 1)
        defer { statement.reset() }
        while try statement.step() {
            try body(statement.text(at: 0), statement.blob(at: 1))
        }
    }
}
