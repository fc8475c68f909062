import RehabSyncCore

/// The read side of record storage, over one connection inside a transaction. Used by
/// ``RecordStore/read(_:)`` on a reader and by ``RecordTransaction`` on the writer.
public struct RecordQueries {
    /// The connection the queries run on, for layers that keep their own tables in the same file.
    public let connection: Connection

    init(connection: Connection) {
        self.connection = connection
    }

    /// The replica's own id, counter, clock and last sequence number.
    public func clockState() throws -> ReplicaClockState {
        let statement = try connection.cachedStatement(
            "SELECT replica_id, counter, hlc_milliseconds, hlc_logical, sequence FROM replica WHERE singleton = 1")
        guard let state = try statement.firstRow(nil, { row -> ReplicaClockState? in
            guard let replica = ReplicaID(try row.requireText(at: 0)) else { return nil }
            return ReplicaClockState(
                replicaID: replica, counter: row.int64(at: 1),
                clock: HybridLogicalClock(last: HLCTimestamp(milliseconds: row.int64(at: 2), logical: row.int64(at: 3))),
                sequence: row.int64(at: 4))
        }), let state else {
            throw DatabaseError.misuse("the replica row is missing or its replica id is malformed")
        }
        return state
    }

    /// One record by address.
    public func record(_ key: RecordKey) throws -> StoredRecord? {
        try row(for: key).map(\.record)
    }

    /// A record with its row id, for updates.
    func row(for key: RecordKey) throws -> (rowID: Int64, record: StoredRecord)? {
        let statement = try connection.cachedStatement(
            "SELECT id, patient, seq, state FROM records WHERE collection = ? AND record_id = ?")
        try statement.bind(key.collection, at: 1)
        try statement.bind(key.recordID, at: 2)
        guard let found = try statement.firstRow(nil, { row in
            (row.int64(at: 0), row.text(at: 1), row.int64(at: 2), row.blob(at: 3))
        }) else { return nil }
        let record = StoredRecord(collection: key.collection, recordID: key.recordID, patient: found.1,
                                  careUnits: try units(ofRow: found.0), sequence: found.2, stateBytes: found.3)
        return (found.0, record)
    }

    /// Where a record stands: its row and sequence number, without reading its state.
    func position(of key: RecordKey) throws -> (rowID: Int64, sequence: Int64)? {
        let statement = try connection.cachedStatement("SELECT id, seq FROM records WHERE collection = ? AND record_id = ?")
        try statement.bind(key.collection, at: 1)
        try statement.bind(key.recordID, at: 2)
        return try statement.firstRow(nil) { ($0.int64(at: 0), $0.int64(at: 1)) }
    }

    /// Units granted sight of a record besides its own placement, sorted.
    public func grants(of key: RecordKey) throws -> [String] {
        let statement = try connection.cachedStatement(
            "SELECT unit FROM record_grants WHERE collection = ? AND record_id = ? ORDER BY unit")
        try statement.bind(key.collection, at: 1)
        try statement.bind(key.recordID, at: 2)
        return try statement.rows(nil) { try $0.requireText(at: 0) }
    }

    /// The care units of a record row, sorted.
    func units(ofRow rowID: Int64) throws -> [String] {
        let statement = try connection.cachedStatement("SELECT unit FROM record_units WHERE record = ? ORDER BY unit")
        try statement.bind(rowID, at: 1)
        return try statement.rows { try $0.requireText(at: 0) }
    }

    /// Records changed after sequence `since`, oldest change first, at most `limit`.
    /// With `units`, only records placed in at least one of them; without, all records.
    public func changes(since: Int64, units: [String]?, limit: Int) throws -> [StoredRecord] {
        guard limit > 0 else { return [] }
        var rowIDs: [(sequence: Int64, rowID: Int64)] = []
        if let units {
            // One bounded range scan per unit, merged here: a single IN query would have
            // to sort every matching row before applying the limit.
            let statement = try connection.cachedStatement(
                "SELECT seq, record FROM record_units WHERE unit = ? AND seq > ? ORDER BY seq LIMIT ?")
            var seen = Set<Int64>()
            for unit in Set(units) {
                try statement.bind(unit, at: 1)
                try statement.bind(since, at: 2)
                try statement.bind(Int64(limit), at: 3)
                for entry in try statement.rows(nil, { ($0.int64(at: 0), $0.int64(at: 1)) }) where seen.insert(entry.1).inserted {
                    rowIDs.append((entry.0, entry.1))
                }
            }
            rowIDs.sort { $0.sequence < $1.sequence }
            if rowIDs.count > limit { rowIDs.removeLast(rowIDs.count - limit) }
        } else {
            let statement = try connection.cachedStatement("SELECT seq, id FROM records WHERE seq > ? ORDER BY seq LIMIT ?")
            try statement.bind(since, at: 1)
            try statement.bind(Int64(limit), at: 2)
            rowIDs = try statement.rows { ($0.int64(at: 0), $0.int64(at: 1)) }
        }
        return try rowIDs.map { try record(atRow: $0.rowID) }
    }

    /// Every record, sorted by collection and id: the order of a dump.
    public func allRecords(units: [String]? = nil) throws -> [StoredRecord] {
        let statement = try connection.cachedStatement("SELECT id FROM records ORDER BY collection, record_id")
        let all = try statement.rows { try record(atRow: $0.int64(at: 0)) }
        guard let units else { return all }
        let wanted = Set(units)
        return all.filter { !wanted.isDisjoint(with: $0.careUnits) }
    }

    /// Calls `body` with every record in dump order, one at a time, so that a digest or
    /// an export over a large store holds one record in memory rather than all of them.
    public func forEachRecord(units: [String]? = nil, _ body: (StoredRecord) throws -> Void) throws {
        let rowIDs = try connection.cachedStatement("SELECT id FROM records ORDER BY collection, record_id").rows { $0.int64(at: 0) }
        let wanted = units.map(Set.init)
        for rowID in rowIDs {
            let record = try record(atRow: rowID)
            if let wanted, wanted.isDisjoint(with: record.careUnits) { continue }
            try body(record)
        }
    }

    /// The records of one patient, optionally of one collection, sorted by collection and id.
    /// Scans the table: an index on a random key such as the patient would dirty pages all
    /// over the file on every push batch, and this is an occasional, administrative query.
    public func records(patient: String, collection: String? = nil) throws -> [StoredRecord] {
        let statement = try connection.cachedStatement(
            "SELECT id FROM records WHERE patient = ? AND (?2 IS NULL OR collection = ?2) ORDER BY collection, record_id")
        try statement.bind(patient, at: 1)
        if let collection { try statement.bind(collection, at: 2) } else { try statement.bindNull(at: 2) }
        return try statement.rows { try record(atRow: $0.int64(at: 0)) }
    }

    /// Records with at least one field in conflict, optionally only those in `units`.
    public func conflicts(units: [String]? = nil) throws -> [StoredRecord] {
        let statement = try connection.cachedStatement("SELECT id FROM records WHERE in_conflict = 1 ORDER BY seq")
        let all = try statement.rows { try record(atRow: $0.int64(at: 0)) }
        guard let units else { return all }
        let wanted = Set(units)
        return all.filter { !wanted.isDisjoint(with: $0.careUnits) }
    }

    /// The number of records stored.
    public func count() throws -> Int {
        try connection.cachedStatement("SELECT count(*) FROM records").firstRow { Int($0.int64(at: 0)) } ?? 0
    }

    func record(atRow rowID: Int64) throws -> StoredRecord {
        let statement = try connection.cachedStatement(
            "SELECT collection, record_id, patient, seq, state FROM records WHERE id = ?")
        try statement.bind(rowID, at: 1)
        guard let record = try statement.firstRow(nil, { row in
            StoredRecord(collection: try row.requireText(at: 0), recordID: try row.requireText(at: 1),
                         patient: row.text(at: 2), careUnits: try units(ofRow: rowID),
                         sequence: row.int64(at: 3), stateBytes: row.blob(at: 4))
        }) else {
            throw DatabaseError.misuse("record row \(rowID) vanished inside a transaction")
        }
        return record
    }
}
