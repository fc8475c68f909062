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
        guard let held = try heldState(of: key) else { return nil }
        let record = StoredRecord(collection: key.collection, recordID: key.recordID, patient: held.patient,
                                  careUnits: try units(ofRow: held.rowID), sequence: held.sequence, stateBytes: held.stateBytes)
        return (held.rowID, record)
    }

    /// A record's row, patient, sequence number and state bytes, without its units: what a
    /// join on the bytes needs of a record held.
    func heldState(of key: RecordKey) throws -> (rowID: Int64, patient: String?, sequence: Int64, stateBytes: [UInt8])? {
        let statement = try connection.cachedStatement(
            "SELECT id, patient, seq, state FROM records WHERE collection = ? AND record_id = ?")
        try statement.bind(key.collection, at: 1)
        try statement.bind(key.recordID, at: 2)
        return try statement.firstRow(nil) { row in (row.int64(at: 0), row.text(at: 1), row.int64(at: 2), row.blob(at: 3)) }
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

    /// The newest change sequence a reader of `units` can be given: the latest change to a
    /// record placed in one of them or a removal from one, 0 when there is none. Without
    /// units, the latest change of any record. One index lookup per unit.
    public func latestSequence(units: [String]?) throws -> Int64 {
        guard let units else {
            return try connection.cachedStatement("SELECT coalesce(max(seq), 0) FROM records").firstRow { $0.int64(at: 0) } ?? 0
        }
        let placed = try connection.cachedStatement("SELECT coalesce(max(seq), 0) FROM record_units WHERE unit = ?")
        let removed = try connection.cachedStatement("SELECT coalesce(max(seq), 0) FROM unit_removals WHERE unit = ?")
        var latest: Int64 = 0
        for unit in Set(units) {
            for statement in [placed, removed] {
                try statement.bind(unit, at: 1)
                latest = max(latest, try statement.firstRow { $0.int64(at: 0) } ?? 0)
            }
        }
        return latest
    }

    /// Records that left one of `units` after sequence `since`, oldest first, at most
    /// `limit`; a record that left several of them is listed once.
    public func removals(since: Int64, units: [String], limit: Int) throws -> [RecordRemoval] {
        guard limit > 0 else { return [] }
        let statement = try connection.cachedStatement(
            "SELECT seq, collection, record_id FROM unit_removals WHERE unit = ? AND seq > ? ORDER BY seq LIMIT ?")
        var found: [RecordRemoval] = []
        for unit in Set(units) {
            try statement.bind(unit, at: 1)
            try statement.bind(since, at: 2)
            try statement.bind(Int64(limit), at: 3)
            found += try statement.rows(nil) { row in
                RecordRemoval(sequence: row.int64(at: 0),
                              key: RecordKey(collection: try row.requireText(at: 1), recordID: try row.requireText(at: 2)))
            }
        }
        found.sort { ($0.sequence, $0.key.collection, $0.key.recordID) < ($1.sequence, $1.key.collection, $1.key.recordID) }
        var unique: [RecordRemoval] = []
        for removal in found where unique.last != removal { unique.append(removal) }
        return Array(unique.prefix(limit))
    }

    /// One page of ``changes(since:units:limit:)``: at most `limit` records and, past the
    /// first, at most `maxBytes` of stored state, so a page of large records stays small
    /// in memory. Records are loaded one at a time and loading stops at the cap. `hasMore`
    /// says whether changes remain after the page.
    public func changesPage(
        since: Int64, units: [String]?, limit: Int, maxBytes: Int
    ) throws -> (records: [StoredRecord], hasMore: Bool) {
        guard limit > 0 else { return ([], false) }
        var rowIDs: [Int64] = []
        if let units {
            let statement = try connection.cachedStatement(
                "SELECT seq, record FROM record_units WHERE unit = ? AND seq > ? ORDER BY seq LIMIT ?")
            var entries: [(sequence: Int64, rowID: Int64)] = []
            var seen = Set<Int64>()
            for unit in Set(units) {
                try statement.bind(unit, at: 1)
                try statement.bind(since, at: 2)
                try statement.bind(Int64(limit + 1), at: 3)
                for entry in try statement.rows(nil, { ($0.int64(at: 0), $0.int64(at: 1)) }) where seen.insert(entry.1).inserted {
                    entries.append((entry.0, entry.1))
                }
            }
            entries.sort { $0.sequence < $1.sequence }
            rowIDs = entries.prefix(limit + 1).map(\.rowID)
        } else {
            let statement = try connection.cachedStatement("SELECT id FROM records WHERE seq > ? ORDER BY seq LIMIT ?")
            try statement.bind(since, at: 1)
            try statement.bind(Int64(limit + 1), at: 2)
            rowIDs = try statement.rows(nil) { $0.int64(at: 0) }
        }
        var records: [StoredRecord] = []
        var bytes = 0
        for rowID in rowIDs.prefix(limit) {
            let record = try record(atRow: rowID)
            let size = record.stateBytes.count + record.collection.utf8.count + record.recordID.utf8.count + 64
            if !records.isEmpty && bytes + size > maxBytes { return (records, true) }
            records.append(record)
            bytes += size
        }
        return (records, rowIDs.count > limit)
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

    /// Calls `body` with the collection, id and state bytes of every record in dump order,
    /// lent straight from SQLite's row: one query over the whole table and nothing copied,
    /// for a digest, which reads every record after every sync. The buffers are valid
    /// only during each call.
    /// With `units`, only the records placed in at least one of them, filtered in SQL.
    func forEachRecordBytes(
        units: [String]? = nil,
        _ body: (_ collection: UnsafeBufferPointer<UInt8>, _ id: UnsafeBufferPointer<UInt8>,
                 _ state: UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        let statement: Statement
        if let units {
            // The units go in as one JSON array, so one cached statement serves any number.
            // `+u.unit`: a record's few unit rows are read by its key and each is looked up
            // in the list, instead of one key lookup per unit of the list; a device of eight
            // units had its digest's query take half as long again.
            statement = try connection.cachedStatement("""
                SELECT r.collection, r.record_id, r.state FROM records r WHERE EXISTS (SELECT 1 FROM record_units u
                WHERE u.record = r.id AND +u.unit IN (SELECT value FROM json_each(?))) ORDER BY r.collection, r.record_id
                """)
            try statement.bind(JSONValue.array(Set(units).sorted().map(JSONValue.string)).canonicalText, at: 1)
        } else {
            statement = try connection.cachedStatement("SELECT collection, record_id, state FROM records ORDER BY collection, record_id")
        }
        defer { statement.reset() }
        while try statement.step() {
            try statement.withBytes(at: 0) { collection in
                try statement.withBytes(at: 1) { id in
                    try statement.withBytes(at: 2) { state in try body(collection, id, state) }
                }
            }
        }
    }

    /// Calls `body` with the dump line of every record (``RecordDumpLine``) in dump order,
    /// optionally only of `units`, each written into one reused buffer that is valid only
    /// during the call: a digest hashes them one by one, holding one record at a time.
    public func forEachDumpLine(units: [String]? = nil, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var line = CanonicalWriter(capacity: 4_096)
        try forEachRecordBytes(units: units) { collection, id, state in
            line.removeAll()
            RecordDumpLine.write(collection: collection, id: id, state: state, to: &line)
            try line.withBytes(body)
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

    /// Records with at least one field in conflict, optionally only those in `units`. Only
    /// the records asked for are loaded: the units are filtered in SQL.
    public func conflicts(units: [String]? = nil) throws -> [StoredRecord] {
        try conflictRowIDs(units: units, count: false).map { try record(atRow: $0) }
    }

    /// How many records have a field in conflict, optionally only in `units`; counted in
    /// SQL through the partial index, without loading a record.
    public func conflictCount(units: [String]? = nil) throws -> Int {
        try conflictRowIDs(units: units, count: true).first.map { Int($0) } ?? 0
    }

    private func conflictRowIDs(units: [String]?, count: Bool) throws -> [Int64] {
        guard let units else {
            let statement = try count
                ? connection.cachedStatement("SELECT count(*) FROM records WHERE in_conflict = 1")
                : connection.cachedStatement("SELECT id FROM records WHERE in_conflict = 1 ORDER BY seq")
            return try statement.rows { $0.int64(at: 0) }
        }
        // The units go in as one JSON array, so one cached statement serves any number;
        // `+u.unit` as in forEachRecordBytes.
        let statement = try count
            ? connection.cachedStatement("""
                SELECT count(*) FROM records r WHERE r.in_conflict = 1 AND EXISTS (SELECT 1 FROM record_units u
                WHERE u.record = r.id AND +u.unit IN (SELECT value FROM json_each(?)))
                """)
            : connection.cachedStatement("""
                SELECT r.id FROM records r WHERE r.in_conflict = 1 AND EXISTS (SELECT 1 FROM record_units u
                WHERE u.record = r.id AND +u.unit IN (SELECT value FROM json_each(?))) ORDER BY r.seq
                """)
        try statement.bind(JSONValue.array(Set(units).sorted().map(JSONValue.string)).canonicalText, at: 1)
        return try statement.rows(nil) { $0.int64(at: 0) }
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
