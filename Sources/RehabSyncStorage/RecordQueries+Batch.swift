import RehabSyncCore

extension RecordQueries {
    /// Which of `keys` are stored: one statement for the whole list, stepped once per key
    /// with the collection bound again only when it changes, instead of a full record
    /// lookup per key. A push of new records asks this for every key of its batch.
    public func storedKeys(among keys: [RecordKey]) throws -> Set<RecordKey> {
        let statement = try connection.cachedStatement("SELECT 1 FROM records WHERE collection = ? AND record_id = ?")
        var found = Set<RecordKey>()
        var boundCollection: String?
        for key in keys {
            if key.collection != boundCollection {
                try statement.bind(key.collection, at: 1)
                boundCollection = key.collection
            }
            try statement.bind(key.recordID, at: 2)
            // firstRow resets the statement but keeps its bindings.
            if try statement.firstRow({ _ in true }) != nil { found.insert(key) }
        }
        return found
    }

    /// Whether any record has a grant. A server's grants belong to handovers, which are
    /// few: asked once, this spares a query per record when there are none.
    public func hasGrants() throws -> Bool {
        try connection.cachedStatement("SELECT EXISTS (SELECT 1 FROM record_grants)").firstRow { $0.int64(at: 0) != 0 } ?? false
    }
}
