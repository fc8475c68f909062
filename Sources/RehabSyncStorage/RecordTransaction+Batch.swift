import RehabSyncCore

extension RecordTransaction {
    /// ``apply(_:)`` for a merge prepared on a snapshot that did not hold the record,
    /// without looking the record up first: the insert finds out through the unique index
    /// on the record's address whether another write has created it since. Nil then, as
    /// from ``apply(_:)``: the merge must be prepared (and checked) again. A merge of a
    /// record the snapshot held goes through ``apply(_:)``.
    ///
    /// A push of new records spends a lookup per record under the single writer
    /// otherwise, for a race that is rare: two devices creating the same record at once.
    public mutating func applyNew(_ prepared: PreparedMerge) throws -> MergeResult? {
        guard prepared.stored == nil else { return try apply(prepared) }
        do {
            return try store(prepared)
        } catch let error as DatabaseError where error.resultCode == DatabaseError.Code.constraint {
            // SQLite aborts the failed statement only, which wrote nothing; the sequence
            // number is taken after the insert (``save``). Any other constraint is a fault.
            guard try queries.position(of: prepared.key) != nil else { throw error }
            return nil
        }
    }

    /// ``applyNew(_:)`` for every merge of a batch, in order (sequence numbers follow the
    /// batch), with sixteen new records in a row inserted by one statement and their units
    /// by another: statement overhead under the single writer was a good part of storing
    /// a new record. Fewer than sixteen new records in a row (a small push, or the end of
    /// a batch) go in eight, four or two to a statement. Nil for a merge whose record
    /// moved since its snapshot.
    public mutating func applyNew(batch prepared: [PreparedMerge]) throws -> [MergeResult?] {
        var results = [MergeResult?](repeating: nil, count: prepared.count)
        var start = 0
        while start < prepared.count {
            var new = 0
            while new < Self.recordsPerInsert, start + new < prepared.count, prepared[start + new].stored == nil { new += 1 }
            guard let size = Self.rowsPerInsert.first(where: { $0 <= new }) else {
                results[start] = try applyNew(prepared[start])
                start += 1
                continue
            }
            let end = start + size
            // A record of the chunk that another push created meanwhile fails the whole
            // statement; the chunk then goes record by record.
            if let stored = try insertNew(prepared[start..<end]) {
                for (offset, record) in stored.enumerated() {
                    results[start + offset] = MergeResult(key: prepared[start + offset].key, changed: true, record: record)
                }
            } else {
                for index in start..<end { results[index] = try applyNew(prepared[index]) }
            }
            start = end
        }
        return results
    }

    static let recordsPerInsert = 16
    /// The rows the insert statements of ``insertNew(_:)`` and ``insertUnitRows(_:)`` take, largest first.
    private static let rowsPerInsert = [16, 8, 4, 2]

    /// The statement inserting `rows` records (one of ``rowsPerInsert``) without their ids.
    private func recordsInsert(rows: Int) throws -> Statement {
        let connection = queries.connection
        switch rows {
        case 16:
            return try connection.cachedStatement("""
                INSERT INTO records (collection, record_id, patient, state, seq, in_conflict) VALUES
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?),
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?),
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?),
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)
                """)
        case 8:
            return try connection.cachedStatement("""
                INSERT INTO records (collection, record_id, patient, state, seq, in_conflict) VALUES
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?),
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)
                """)
        case 4:
            return try connection.cachedStatement("""
                INSERT INTO records (collection, record_id, patient, state, seq, in_conflict) VALUES
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)
                """)
        case 2:
            return try connection.cachedStatement("""
                INSERT INTO records (collection, record_id, patient, state, seq, in_conflict) VALUES
                    (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)
                """)
        default:
            throw DatabaseError.misuse("no insert statement for \(rows) records")
        }
    }

    /// The statement inserting `rows` unit rows (one of ``rowsPerInsert``).
    private func unitsInsert(rows: Int) throws -> Statement {
        let connection = queries.connection
        switch rows {
        case 16:
            return try connection.cachedStatement("""
                INSERT INTO record_units (record, unit, seq) VALUES
                    (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?),
                    (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)
                """)
        case 8:
            return try connection.cachedStatement("""
                INSERT INTO record_units (record, unit, seq) VALUES
                    (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)
                """)
        case 4:
            return try connection.cachedStatement(
                "INSERT INTO record_units (record, unit, seq) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)")
        case 2:
            return try connection.cachedStatement("INSERT INTO record_units (record, unit, seq) VALUES (?, ?, ?), (?, ?, ?)")
        default:
            throw DatabaseError.misuse("no insert statement for \(rows) unit rows")
        }
    }

    /// Inserts sixteen, eight, four or two records (``rowsPerInsert``) new to this store with
    /// one statement, as ``save`` would one by one (the same sequence numbers, units, grants
    /// and clock), and returns them as stored. Nil, having written nothing, when one of them
    /// exists by now: SQLite aborts the statement whole, and the caller stores the rows one
    /// by one.
    ///
    /// Generic over its rows so that a push's merges go in as they are, without a
    /// ``NewRecordRow`` copied from each.
    mutating func insertNew<Rows: Collection>(_ chunk: Rows) throws -> [StoredRecord]? where Rows.Element: NewRecordSource {
        let connection = queries.connection
        if anyGrants == nil { anyGrants = try queries.hasGrants() }
        // Only where some record has a grant; otherwise each row's own placement is its place.
        let placements: [RecordPlacement]? = anyGrants == true ? try chunk.map { row in
            let granted = try queries.grants(of: row.key)
            return granted.isEmpty ? row.placement
                : RecordPlacement(patient: row.placement.patient, careUnits: row.placement.careUnits + granted)
        } : nil
        // The row ids SQLite gives the rows, known before the insert so that the units can
        // name them: a row inserted without one gets one more than the largest in the
        // table, short of the largest possible (https://sqlite.org/autoinc.html). Letting
        // SQLite choose them spares it a search per row for an id given; the ids are
        // checked after the insert all the same.
        let lastRow = try connection.cachedStatement("SELECT coalesce(max(id), 0) FROM records").firstRow { $0.int64(at: 0) } ?? 0
        guard lastRow <= Int64.max - Int64(chunk.count) else { return nil }
        let insert = try recordsInsert(rows: chunk.count)
        let firstSequence = clockState.sequence + 1
        insertParameters.removeAll()
        // By index, not by element, here and below: a copy of each merge cost more than reading its fields.
        var offset: Int64 = 0
        for index in chunk.indices {
            insertParameters.append(chunk[index].key.collection)
            insertParameters.append(chunk[index].key.recordID)
            // A grant adds units, never a patient.
            insertParameters.append(chunk[index].placement.patient)
            insertParameters.append(blob: chunk[index].bytes)
            insertParameters.append(firstSequence + offset)
            insertParameters.append(Int64(chunk[index].inConflict ? 1 : 0))
            offset += 1
        }
        do {
            try insert.execute(insertParameters)
        } catch let error as DatabaseError where error.resultCode == DatabaseError.Code.constraint {
            return nil
        }
        // The rows took one id after another, the last of them the last insert's. Anything
        // else would give the units the wrong rows: refused, and the transaction rolls back.
        guard connection.lastInsertRowID == lastRow + Int64(chunk.count) else {
            throw DatabaseError.misuse("the batch insert's rows did not take the row ids that follow the largest one")
        }
        clockState.sequence = firstSequence + Int64(chunk.count) - 1
        clockDirty = true
        var units: [(row: Int64, unit: String, sequence: Int64)] = []
        units.reserveCapacity(chunk.count)
        var stored: [StoredRecord] = []
        stored.reserveCapacity(chunk.count)
        offset = 0
        for index in chunk.indices {
            noteIncoming(context: chunk[index].context, newestClock: chunk[index].newestClock)
            let placement = placements?[Int(offset)] ?? chunk[index].placement
            let rowID = lastRow + 1 + offset
            let sequence = firstSequence + offset
            for unit in placement.careUnits { units.append((rowID, unit, sequence)) }
            stored.append(StoredRecord(collection: chunk[index].key.collection, recordID: chunk[index].key.recordID,
                                       patient: placement.patient, careUnits: placement.careUnits, sequence: sequence,
                                       stateBytes: chunk[index].bytes))
            offset += 1
        }
        try insertUnitRows(units)
        return stored
    }

    /// Inserts `record_units` rows, as many as it can to a statement (``rowsPerInsert``)
    /// and the rest one by one.
    private mutating func insertUnitRows(_ rows: [(row: Int64, unit: String, sequence: Int64)]) throws {
        let connection = queries.connection
        var start = 0
        for size in Self.rowsPerInsert where rows.count - start >= size {
            let insert = try unitsInsert(rows: size)
            while start + size <= rows.count {
                insertParameters.removeAll()
                for row in rows[start..<(start + size)] {
                    insertParameters.append(row.row)
                    insertParameters.append(row.unit)
                    insertParameters.append(row.sequence)
                }
                try insert.execute(insertParameters)
                start += size
            }
        }
        guard start < rows.count else { return }
        let single = try connection.cachedStatement("INSERT INTO record_units (record, unit, seq) VALUES (?, ?, ?)")
        for row in rows[start...] {
            try single.bind(row.row, at: 1)
            try single.bind(row.unit, at: 2)
            try single.bind(row.sequence, at: 3)
            try single.execute()
        }
    }

    /// What a stored merge tells the replica's clock and counter (``noteIncoming(context:newestClock:)``).
    mutating func noteIncoming(of prepared: PreparedMerge) {
        noteIncoming(of: prepared.incoming)
    }

    /// What an arriving state tells the replica's clock and counter: its context, and its
    /// newest sibling's clock reading.
    mutating func noteIncoming(of state: RecordState) {
        noteIncoming(context: state.context, newestClock: state.newestClock)
    }
}
