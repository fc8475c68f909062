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
    /// a new record. Nil for a merge whose record moved since its snapshot.
    public mutating func applyNew(batch prepared: [PreparedMerge]) throws -> [MergeResult?] {
        var results = [MergeResult?](repeating: nil, count: prepared.count)
        var start = 0
        while start < prepared.count {
            let end = start + Self.recordsPerInsert
            if end <= prepared.count, prepared[start..<end].allSatisfy({ $0.stored == nil }) {
                // A record of the chunk that another push created meanwhile fails the
                // whole statement; the chunk then goes record by record.
                if try !insertNew(prepared[start..<end], into: &results) {
                    for index in start..<end { results[index] = try applyNew(prepared[index]) }
                }
                start = end
                continue
            }
            results[start] = try applyNew(prepared[start])
            start += 1
        }
        return results
    }

    private static let recordsPerInsert = 16
    private static let unitRowsPerInsert = 16

    /// Inserts `chunk` (``recordsPerInsert`` merges of records the snapshot did not hold)
    /// with one statement, as ``store(_:)`` would one by one, and puts their results at
    /// their indices. False, having written nothing, when a record of the chunk exists by
    /// now: SQLite aborts the statement whole, and the records go one by one instead.
    private mutating func insertNew(_ chunk: ArraySlice<PreparedMerge>, into results: inout [MergeResult?]) throws -> Bool {
        let connection = queries.connection
        if anyGrants == nil { anyGrants = try queries.hasGrants() }
        var placements: [RecordPlacement] = []
        placements.reserveCapacity(chunk.count)
        for merge in chunk {
            let granted = anyGrants == true ? try queries.grants(of: merge.key) : []
            placements.append(granted.isEmpty ? merge.placement
                : RecordPlacement(patient: merge.placement.patient, careUnits: merge.placement.careUnits + granted))
        }
        // Row ids as SQLite would choose them one insert at a time, given in the statement
        // so that the units can name them.
        let lastRow = try connection.cachedStatement("SELECT coalesce(max(id), 0) FROM records").firstRow { $0.int64(at: 0) } ?? 0
        guard lastRow <= Int64.max - Int64(chunk.count) else { return false }
        let insert = try connection.cachedStatement("""
            INSERT INTO records (id, collection, record_id, patient, state, seq, in_conflict) VALUES
                (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?),
                (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?),
                (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?),
                (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)
            """)
        let firstSequence = clockState.sequence + 1
        var parameter: Int32 = 1
        for (offset, merge) in chunk.enumerated() {
            try insert.bind(lastRow + 1 + Int64(offset), at: parameter)
            try insert.bind(merge.key.collection, at: parameter + 1)
            try insert.bind(merge.key.recordID, at: parameter + 2)
            try bindText(placements[offset].patient, insert, parameter + 3)
            try insert.bind(merge.bytes, at: parameter + 4)
            try insert.bind(firstSequence + Int64(offset), at: parameter + 5)
            try insert.bind(Int64(merge.after.isInConflict ? 1 : 0), at: parameter + 6)
            parameter += 7
        }
        do {
            try insert.execute()
        } catch let error as DatabaseError where error.resultCode == DatabaseError.Code.constraint {
            return false
        }
        clockState.sequence = firstSequence + Int64(chunk.count) - 1
        clockDirty = true
        var units: [(row: Int64, unit: String, sequence: Int64)] = []
        for (offset, merge) in chunk.enumerated() {
            noteIncoming(of: merge)
            let placement = placements[offset]
            let row = lastRow + 1 + Int64(offset)
            let sequence = firstSequence + Int64(offset)
            for unit in placement.careUnits { units.append((row, unit, sequence)) }
            results[chunk.startIndex + offset] = MergeResult(
                key: merge.key, changed: true,
                record: StoredRecord(collection: merge.key.collection, recordID: merge.key.recordID, patient: placement.patient,
                                     careUnits: placement.careUnits, sequence: sequence, stateBytes: merge.bytes))
        }
        try insertUnitRows(units)
        return true
    }

    /// Inserts `record_units` rows, ``unitRowsPerInsert`` to a statement and the rest one by one.
    private func insertUnitRows(_ rows: [(row: Int64, unit: String, sequence: Int64)]) throws {
        let connection = queries.connection
        var start = 0
        if rows.count >= Self.unitRowsPerInsert {
            let insert = try connection.cachedStatement("""
                INSERT INTO record_units (record, unit, seq) VALUES
                    (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?),
                    (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)
                """)
            while start + Self.unitRowsPerInsert <= rows.count {
                var parameter: Int32 = 1
                for row in rows[start..<(start + Self.unitRowsPerInsert)] {
                    try insert.bind(row.row, at: parameter)
                    try insert.bind(row.unit, at: parameter + 1)
                    try insert.bind(row.sequence, at: parameter + 2)
                    parameter += 3
                }
                try insert.execute()
                start += Self.unitRowsPerInsert
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
        var newest = HLCTimestamp.zero
        for field in state.fields {
            for sibling in field.siblings where sibling.hlc > newest { newest = sibling.hlc }
        }
        noteIncoming(context: state.context, newestClock: newest)
    }
}
