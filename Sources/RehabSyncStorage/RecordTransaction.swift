import RehabSyncCore

/// Record writes inside one `BEGIN IMMEDIATE` transaction on the writer. Everything done
/// through one transaction commits together or not at all, the replica's counter and
/// clock included, so a dot is never reused after a crash.
public struct RecordTransaction {
    /// The reads, seeing this transaction's own writes.
    public let queries: RecordQueries
    let placement: RecordPlacement.Rule
    /// The fields `placement` reads, when known: a received state is then joined into a
    /// held record on their bytes (``merge(received:)``).
    let placementReads: CanonicalFieldNames?
    /// Whether unit rows carry their record's current sequence number
    /// (``RecordStore/servesUnitPulls``).
    let servesUnitPulls: Bool
    // Internal, not private, as the next three: the batch insert (`RecordTransaction+Batch.swift`) takes them.
    var clockState: ReplicaClockState
    var clockDirty = false
    /// Whether any record has a grant, asked once per transaction: a device's file never
    /// holds grants, and looking a record's grants up costs a query per stored record.
    /// Nil until asked, and again after a grant changes.
    var anyGrants: Bool?
    /// True once a savepoint's writes could not be rolled back (``savepoint(_:)``): then
    /// nothing of this transaction may commit, whatever its caller does next.
    public internal(set) var isAbandoned = false
    /// The parameters of the batch insert (``insertNew(_:)``), kept so that their memory
    /// serves every chunk of the transaction.
    var insertParameters = ParameterBuffer()

    init(connection: Connection, placement: @escaping RecordPlacement.Rule, placementReads: CanonicalFieldNames? = nil,
         servesUnitPulls: Bool = true) throws {
        queries = RecordQueries(connection: connection)
        self.placement = placement
        self.placementReads = placementReads
        self.servesUnitPulls = servesUnitPulls
        clockState = try queries.clockState()
    }

    /// The replica this database belongs to.
    public var replicaID: ReplicaID { clockState.replicaID }

    /// A local write: takes the next dot and clock reading, sets `values` on the record
    /// (creating it if new) and stores it with a new sequence number.
    ///
    /// - Parameters:
    ///   - check: Called with the record's state before and after the write; throw to
    ///     refuse it (domain validation). Nothing is stored when it throws.
    ///   - clockCeilingMilliseconds: The latest clock reading the write may take: the last
    ///     server time seen plus the drift the server allows. A wall clock that jumped
    ///     ahead then cannot carry the hybrid clock past what the server accepts, and a
    ///     clock already carried there comes back down, so one bad reading never locks the
    ///     device out. Readings only order siblings for display; causality is in the dots.
    public mutating func write(
        _ key: RecordKey, values: [String: JSONValue], author: String, wallMilliseconds: Int64,
        clockCeilingMilliseconds: Int64? = nil,
        check: (_ before: RecordState?, _ after: RecordState) throws -> Void = { _, _ in }
    ) throws -> StoredRecord {
        let existing = try queries.row(for: key)
        let before = try existing.map { try $0.record.state() }
        var clock = clockState.clock
        var wall = wallMilliseconds
        if let ceiling = clockCeilingMilliseconds {
            if clock.last.milliseconds > ceiling { clock = HybridLogicalClock(last: HLCTimestamp(milliseconds: ceiling, logical: 0)) }
            wall = min(wall, ceiling)
        }
        let stamp = WriteStamp(dot: Dot(replica: clockState.replicaID, counter: clockState.counter + 1),
                               hlc: clock.tick(wallMilliseconds: wall),
                               author: author, wallMilliseconds: wallMilliseconds)
        let after = try (before ?? RecordState()).applying(values, stamp: stamp)
        try check(before, after)
        clockState.counter = stamp.dot.counter
        clockState.clock = clock
        clockDirty = true
        return try save(key, state: after, rowID: existing?.rowID, previous: existing?.record)
    }

    /// Joins states from another replica into ours. A state that adds nothing is left
    /// alone (no new sequence number), which is what makes a repeated push a no-op.
    ///
    /// - Parameters:
    ///   - check: Called with the stored and the joined state of each record that would
    ///     change; throw to refuse (domain validation). The caller's transaction then
    ///     rolls back, so a refused batch stores nothing. Without a check, a stored state
    ///     the incoming one has wholly seen is not decoded (``PreparedMerge``).
    public mutating func merge(
        _ incoming: [IncomingRecord],
        check: ((_ key: RecordKey, _ before: RecordState?, _ after: RecordState) throws -> Void)? = nil
    ) throws -> [MergeResult] {
        var results: [MergeResult] = []
        results.reserveCapacity(incoming.count)
        for item in incoming {
            // Prepared inside this transaction, so nothing can have moved the record since.
            let prepared = try PreparedMerge(item, queries: queries, rule: placement, decodingStored: check != nil)
            if prepared.changed, let check { try check(item.key, prepared.before, prepared.after) }
            results.append(try store(prepared))
        }
        return results
    }

    /// Joins received states as ``merge(_:check:)`` does, with no check, and returns how
    /// many records changed. A record this replica does not hold yet and that arrived as
    /// canonical bytes is stored from those bytes, placed by the fields its check decoded:
    /// the join with nothing is the state itself, and encoding its decoded form would give
    /// back the same bytes. Such records go in sixteen to a statement (``insertNew(_:)``),
    /// in the order received; a record already held is joined on the bytes
    /// (``CanonicalJoin``), and any other is decoded and joined.
    @discardableResult
    public mutating func merge(received records: [ReceivedRecord]) throws -> Int {
        var changed = 0
        var waiting: [(row: NewRecordRow, received: CanonicalState)] = []
        waiting.reserveCapacity(Self.recordsPerInsert)
        for record in records {
            switch record.state {
            case .canonical(let canonical):
                // One lookup serves both cases. A record held now was held before anything
                // waiting was looked up, so nothing waiting has its key.
                guard let held = try queries.heldState(of: record.key) else {
                    waiting.append((NewRecordRow(record.key, canonical, placement: try placement(record.key.collection, canonical.partial)),
                                    canonical))
                    if waiting.count == Self.recordsPerInsert { changed += try insertWaiting(&waiting) }
                    continue
                }
                // Whatever waits goes in first: sequence numbers follow the order received.
                changed += try insertWaiting(&waiting)
                if try joinHeld(record.key, canonical, held) { changed += 1 }
            case .decoded(let state):
                // A record received twice must find its first arrival stored.
                changed += try insertWaiting(&waiting)
                changed += try merge([IncomingRecord(key: record.key, state: state)]).filter(\.changed).count
            }
        }
        changed += try insertWaiting(&waiting)
        return changed
    }

    /// Stores the new records of ``merge(received:)`` that wait: a full chunk in one
    /// statement, anything less (or a chunk whose statement met a record already there,
    /// as when a page names one record twice) one by one, each as its own arrival. Returns
    /// how many records changed.
    private mutating func insertWaiting(_ waiting: inout [(row: NewRecordRow, received: CanonicalState)]) throws -> Int {
        guard !waiting.isEmpty else { return 0 }
        defer { waiting.removeAll(keepingCapacity: true) }
        if waiting.count == Self.recordsPerInsert, try insertNew(waiting.map(\.row)) != nil { return waiting.count }
        var changed = 0
        for (row, received) in waiting {
            if let held = try queries.heldState(of: row.key) {
                if try joinHeld(row.key, received, held) { changed += 1 }
                continue
            }
            noteIncoming(context: row.context, newestClock: row.newestClock)
            _ = try save(row.key, inConflict: row.inConflict, bytes: row.bytes, placement: row.placement, rowID: nil, previous: nil)
            changed += 1
        }
        return changed
    }

    /// Joins a received state, checked as it was read, into the record this replica holds
    /// (`held`): on the bytes when it can (``CanonicalJoin``), decoded otherwise. Returns
    /// whether the record changed.
    ///
    /// A join that leaves the placement fields as they were leaves the record's patient
    /// and units as they are: the units are its placement and its grants, and a grant
    /// that changes stores the record again at once (``grant(_:to:)``).
    private mutating func joinHeld(_ key: RecordKey, _ received: CanonicalState,
                                   _ held: (rowID: Int64, patient: String?, sequence: Int64, stateBytes: [UInt8])) throws -> Bool {
        guard let placementReads, let join = CanonicalJoin.join(stored: held.stateBytes, incoming: received, keeping: placementReads) else {
            return try merge([IncomingRecord(key: key, state: try received.decoded())]).contains(where: \.changed)
        }
        guard join.changed else { return false }
        noteIncoming(context: join.incomingContext, newestClock: join.incomingNewestClock)
        if let partial = join.partial {
            let previous = StoredRecord(collection: key.collection, recordID: key.recordID, patient: held.patient,
                                        careUnits: try queries.units(ofRow: held.rowID), sequence: held.sequence, stateBytes: held.stateBytes)
            _ = try save(key, inConflict: join.isInConflict, bytes: join.bytes, placement: try placement(key.collection, partial),
                         rowID: held.rowID, previous: previous)
        } else {
            try overwrite(rowID: held.rowID, patient: held.patient, inConflict: join.isInConflict, bytes: join.bytes,
                          sequence: clockState.sequence + 1)
        }
        return true
    }

    /// Stores a merge prepared on a snapshot (``RecordStore/prepareMerge(_:queries:)``), if
    /// the record is still as the snapshot saw it; nil when another write has moved it on
    /// since, and the merge must be prepared (and checked) again.
    public mutating func apply(_ prepared: PreparedMerge) throws -> MergeResult? {
        let current = try queries.position(of: prepared.key)
        guard current?.sequence == prepared.stored?.sequence, current?.rowID == prepared.rowID else { return nil }
        return try store(prepared)
    }

    /// Stores a prepared merge known to be current. Internal for ``applyNew(_:)``.
    mutating func store(_ prepared: PreparedMerge) throws -> MergeResult {
        if let stored = prepared.stored, !prepared.changed {
            return MergeResult(key: prepared.key, changed: false, record: stored)
        }
        noteIncoming(of: prepared)
        let record = try save(prepared.key, inConflict: prepared.after.isInConflict, bytes: prepared.bytes,
                              placement: prepared.placement, rowID: prepared.rowID, previous: prepared.stored)
        return MergeResult(key: prepared.key, changed: true, record: record)
    }

    /// Lets `unit` see the record at `key` from now on, whatever its own fields say. If the
    /// record exists it gets a new sequence number, so the unit's next pull delivers it.
    /// Returns false when the unit could already see it through this grant.
    @discardableResult
    public mutating func grant(_ key: RecordKey, to unit: String) throws -> Bool {
        try changeGrant(key, unit, try queries.connection.cachedStatement(
            "INSERT INTO record_grants (collection, record_id, unit) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"))
    }

    /// Runs a grant statement bound to (collection, record id, unit); if it changed a
    /// grant, stores the record again, so that its units and sequence number follow.
    private mutating func changeGrant(_ key: RecordKey, _ unit: String, _ statement: Statement) throws -> Bool {
        try statement.bind(key.collection, at: 1)
        try statement.bind(key.recordID, at: 2)
        try statement.bind(unit, at: 3)
        try statement.execute()
        guard queries.connection.changes > 0 else { return false }
        anyGrants = nil
        if let existing = try queries.row(for: key) {
            _ = try save(key, state: try existing.record.state(), rowID: existing.rowID, previous: existing.record)
        }
        return true
    }

    /// Sets a record to exactly `state`, or removes it when `state` is nil, with a new
    /// sequence number. Not a merge: a replica uses it to set aside a write the server
    /// refused (taking the server's copy back) and to let go of a record that has left
    /// its scope. The caller keeps what it replaces.
    public mutating func replace(_ key: RecordKey, with state: RecordState?) throws {
        let existing = try queries.row(for: key)
        if let state {
            _ = try save(key, state: state, rowID: existing?.rowID, previous: existing?.record)
            return
        }
        guard let existing else { return }
        let connection = queries.connection
        let units = try connection.cachedStatement("DELETE FROM record_units WHERE record = ?")
        try units.bind(existing.rowID, at: 1)
        try units.execute()
        let record = try connection.cachedStatement("DELETE FROM records WHERE id = ?")
        try record.bind(existing.rowID, at: 1)
        try record.execute()
    }

    /// Takes a new replica identity: later writes carry dots of `replica`, starting after
    /// `counter`. A replica restored from an old copy of its file does this, because the
    /// counters after its copy were already used by the file it replaced.
    public mutating func reidentify(as replica: ReplicaID, counter: Int64) {
        clockState = ReplicaClockState(replicaID: replica, counter: counter, clock: clockState.clock, sequence: clockState.sequence)
        clockDirty = true
    }

    /// Withdraws `unit`'s grant on the record at `key`. If that was how the unit saw the
    /// record, the record gets a new sequence number and a removal is noted for the unit,
    /// so its devices hear at their next pull that it is no longer visible.
    @discardableResult
    public mutating func revokeGrant(_ key: RecordKey, from unit: String) throws -> Bool {
        try changeGrant(key, unit, try queries.connection.cachedStatement(
            "DELETE FROM record_grants WHERE collection = ? AND record_id = ? AND unit = ?"))
    }

    /// Writes the clock row if anything used it; called once before COMMIT.
    func finish() throws {
        guard !isAbandoned else {
            throw DatabaseError.misuse("a savepoint's writes could not be rolled back, so nothing of this transaction is committed")
        }
        guard clockDirty else { return }
        let statement = try queries.connection.cachedStatement(
            "UPDATE replica SET counter = ?, hlc_milliseconds = ?, hlc_logical = ?, sequence = ?, replica_id = ? WHERE singleton = 1")
        try statement.bind(clockState.counter, at: 1)
        try statement.bind(clockState.clock.last.milliseconds, at: 2)
        try statement.bind(clockState.clock.last.logical, at: 3)
        try statement.bind(clockState.sequence, at: 4)
        try statement.bind(clockState.replicaID.description, at: 5)
        try statement.execute()
    }

    /// What an incoming state tells this replica's clock and counter: later local writes
    /// must read a clock after every write seen, and our own writes coming back (after a
    /// restore from backup, or a replica created again for the same device) must never be
    /// followed by a reused dot.
    mutating func noteIncoming(context: VersionVector, newestClock newest: HLCTimestamp) {
        if newest > clockState.clock.last {
            clockState.clock = HybridLogicalClock(last: newest)
            clockDirty = true
        }
        let ownCounter = context[clockState.replicaID]
        if ownCounter > clockState.counter {
            clockState.counter = ownCounter
            clockDirty = true
        }
    }

    private mutating func save(_ key: RecordKey, state: RecordState, rowID: Int64?, previous: StoredRecord?) throws -> StoredRecord {
        try save(key, inConflict: state.isInConflict, bytes: state.canonicalBytes, placement: try placement(key.collection, state),
                 rowID: rowID, previous: previous)
    }

    /// Stores a state, already encoded as `bytes` and placed by its fields, with the next
    /// sequence number; the record's grants are added to its units here, under the writer.
    private mutating func save(_ key: RecordKey, inConflict: Bool, bytes: [UInt8], placement fields: RecordPlacement,
                               rowID: Int64?, previous: StoredRecord?) throws -> StoredRecord {
        var where_ = fields
        if anyGrants == nil {
            anyGrants = try queries.hasGrants()
        }
        let granted = anyGrants == false ? [] : try queries.grants(of: key)
        if !granted.isEmpty { where_ = RecordPlacement(patient: where_.patient, careUnits: where_.careUnits + granted) }
        // Taken only once the row is written: a new record's insert that fails on the
        // address (another push created it meanwhile, see ``applyNew(_:)``) leaves no gap.
        let sequence = clockState.sequence + 1
        let connection = queries.connection
        let row: Int64
        if let rowID {
            try overwrite(rowID: rowID, patient: where_.patient, inConflict: inConflict, bytes: bytes, sequence: sequence)
            row = rowID
            let old = Set(previous?.careUnits ?? [])
            let removed = old.subtracting(where_.careUnits)
            if !removed.isEmpty {
                let delete = try connection.cachedStatement("DELETE FROM record_units WHERE record = ? AND unit = ?")
                // The unit's devices hold the record and must hear that it has gone.
                let note = try connection.cachedStatement(
                    "INSERT INTO unit_removals (seq, unit, collection, record_id) VALUES (?, ?, ?, ?)")
                for unit in removed.sorted() {
                    try delete.bind(rowID, at: 1)
                    try delete.bind(unit, at: 2)
                    try delete.execute()
                    try note.bind(sequence, at: 1)
                    try note.bind(unit, at: 2)
                    try note.bind(key.collection, at: 3)
                    try note.bind(key.recordID, at: 4)
                    try note.execute()
                }
            }
            try insertUnits(where_.careUnits.filter { !old.contains($0) }, row: rowID, sequence: sequence)
        } else {
            let insert = try connection.cachedStatement(
                "INSERT INTO records (collection, record_id, patient, state, seq, in_conflict) VALUES (?, ?, ?, ?, ?, ?)")
            try insert.bind(key.collection, at: 1)
            try insert.bind(key.recordID, at: 2)
            try bindText(where_.patient, insert, 3)
            try insert.bind(bytes, at: 4)
            try insert.bind(sequence, at: 5)
            try insert.bind(Int64(inConflict ? 1 : 0), at: 6)
            try insert.execute()
            clockState.sequence = sequence
            clockDirty = true
            row = connection.lastInsertRowID
            try insertUnits(where_.careUnits, row: row, sequence: sequence)
        }
        return StoredRecord(collection: key.collection, recordID: key.recordID, patient: where_.patient,
                            careUnits: where_.careUnits, sequence: sequence, stateBytes: bytes)
    }

    /// Writes a state over a record's row with `sequence` (the next one), which its unit
    /// rows take too where the file serves unit pulls; the caller keeps the units
    /// themselves up to date.
    private mutating func overwrite(rowID: Int64, patient: String?, inConflict: Bool, bytes: [UInt8], sequence: Int64) throws {
        let update = try queries.connection.cachedStatement(
            "UPDATE records SET patient = ?, state = ?, seq = ?, in_conflict = ? WHERE id = ?")
        try bindText(patient, update, 1)
        try update.bind(bytes, at: 2)
        try update.bind(sequence, at: 3)
        try update.bind(Int64(inConflict ? 1 : 0), at: 4)
        try update.bind(rowID, at: 5)
        try update.execute()
        clockState.sequence = sequence
        clockDirty = true
        try renumberUnits(ofRow: rowID, to: sequence)
    }

    /// Gives a record's unit rows its new sequence number, by which a unit's pull finds it;
    /// nothing in a file that serves no unit's pull.
    private func renumberUnits(ofRow rowID: Int64, to sequence: Int64) throws {
        guard servesUnitPulls else { return }
        let renumber = try queries.connection.cachedStatement("UPDATE record_units SET seq = ? WHERE record = ?")
        try renumber.bind(sequence, at: 1)
        try renumber.bind(rowID, at: 2)
        try renumber.execute()
    }

    private func insertUnits(_ units: [String], row: Int64, sequence: Int64) throws {
        guard !units.isEmpty else { return }
        let insert = try queries.connection.cachedStatement("INSERT INTO record_units (record, unit, seq) VALUES (?, ?, ?)")
        for unit in units {
            try insert.bind(row, at: 1)
            try insert.bind(unit, at: 2)
            try insert.bind(sequence, at: 3)
            try insert.execute()
        }
    }

    func bindText(_ value: String?, _ statement: Statement, _ index: Int32) throws {
        if let value { try statement.bind(value, at: index) } else { try statement.bindNull(at: index) }
    }
}
