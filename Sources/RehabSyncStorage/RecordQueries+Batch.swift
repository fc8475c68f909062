import RehabSyncCore

extension RecordQueries {
    /// Which of `keys` are stored: ``keysPerLookup`` keys to a statement, joined with the
    /// unique index on the address in one run, instead of a statement run per key. A push
    /// of new records asks this for every key of its batch; per key, a run of its own cost
    /// about twice the join. The keys' text is bound without a copy (``ParameterBuffer``),
    /// and a chunk of one collection, as a push's nearly always is, binds it once.
    public func storedKeys(among keys: [RecordKey]) throws -> Set<RecordKey> {
        // CROSS JOIN keeps the listed keys as the outer loop, so each is one search of the
        // index; a NULL (the padding of a last, short chunk) matches nothing.
        let oneCollection = try connection.cachedStatement("""
            SELECT r.record_id FROM (VALUES
                (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?),
                (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?)) AS k
            CROSS JOIN records AS r ON r.collection = ?33 AND r.record_id = k.column1
            """)
        let anyCollections = try connection.cachedStatement("""
            SELECT r.collection, r.record_id FROM (VALUES
                (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?),
                (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?),
                (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?),
                (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?)) AS k
            CROSS JOIN records AS r ON r.collection = k.column1 AND r.record_id = k.column2
            """)
        var found = Set<RecordKey>()
        var parameters = ParameterBuffer()
        parameters.reserve(parameters: 2 * Self.keysPerLookup, byteCount: 64 * Self.keysPerLookup)
        var start = keys.startIndex
        while start < keys.endIndex {
            let end = min(start + Self.keysPerLookup, keys.endIndex)
            let chunk = keys[start..<end]
            let padding = Self.keysPerLookup - chunk.count
            parameters.removeAll()
            // The chunk holds a key: the loop runs only while start < endIndex.
            let collection = chunk[start].collection
            if chunk.allSatisfy({ $0.collection == collection }) {
                for key in chunk { parameters.append(key.recordID) }
                for _ in 0..<padding { parameters.appendNull() }
                parameters.append(collection)
                for recordID in try oneCollection.rows(parameters, { $0.text(at: 0) ?? "" }) {
                    found.insert(RecordKey(collection: collection, recordID: recordID))
                }
            } else {
                for key in chunk {
                    parameters.append(key.collection)
                    parameters.append(key.recordID)
                }
                for _ in 0..<(2 * padding) { parameters.appendNull() }
                for key in try anyCollections.rows(parameters, { RecordKey(collection: $0.text(at: 0) ?? "", recordID: $0.text(at: 1) ?? "") }) {
                    found.insert(key)
                }
            }
            start = end
        }
        return found
    }

    /// How many keys one run of ``storedKeys(among:)`` looks up: the keys its statements list.
    static let keysPerLookup = 32

    /// Whether any record has a grant. A server's grants belong to handovers, which are
    /// few: asked once, this spares a query per record when there are none.
    public func hasGrants() throws -> Bool {
        try connection.cachedStatement("SELECT EXISTS (SELECT 1 FROM record_grants)").firstRow { $0.int64(at: 0) != 0 } ?? false
    }
}
