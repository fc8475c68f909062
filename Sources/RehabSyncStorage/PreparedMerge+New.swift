import RehabSyncCore

extension PreparedMerge {
    /// The merge of a record the snapshot does not hold, known without a lookup of its
    /// own (``RecordQueries/storedKeys(among:)``): the join with nothing is the incoming
    /// state itself, stored as it arrived when that was its canonical encoding.
    init(new incoming: IncomingRecord, rule: RecordPlacement.Rule) throws {
        key = incoming.key
        self.incoming = incoming.state
        stored = nil
        before = nil
        after = incoming.state
        rowID = nil
        placement = try rule(incoming.key.collection, incoming.state)
        bytes = incoming.canonicalBytes ?? incoming.state.canonicalBytes
        changed = true
        inConflict = incoming.state.isInConflict
        incomingNewestClock = incoming.state.newestClock
    }
}
