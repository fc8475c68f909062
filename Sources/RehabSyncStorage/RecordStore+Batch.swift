import RehabSyncCore

extension RecordStore {
    /// ``prepareMerge(_:queries:)`` for every record of a batch, in order. Which records
    /// exist is asked once for the batch (``RecordQueries/storedKeys(among:)``); only
    /// those are looked up in full, and a new record is prepared as the state that arrived.
    public func prepareMerges(_ incoming: [IncomingRecord], queries: RecordQueries) throws -> [PreparedMerge] {
        let stored = try queries.storedKeys(among: incoming.map(\.key))
        return try incoming.map { item in
            // Asked only when something is stored: hashing a key costs more than the test.
            !stored.isEmpty && stored.contains(item.key) ? try PreparedMerge(item, queries: queries, rule: placement)
                : try PreparedMerge(new: item, rule: placement)
        }
    }
}
