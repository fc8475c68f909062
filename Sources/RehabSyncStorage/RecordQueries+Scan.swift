internal import CSQLite

extension RecordQueries {
    /// Visits records in the caller's snapshot one at a time, so that a report over
    /// millions of records holds one state at a time rather than all of them. With
    /// `collection`, only that collection's records (through its index); without, every
    /// record in storage order (one sequential pass), skipping `excluding`.
    ///
    /// The body gets the collection, the patient and the canonical bytes of the state,
    /// borrowed from SQLite: valid only during the call, copy what must outlive it.
    ///
    /// `rows` limits the pass to a range of row ids (``maximumRowID()``), so that two
    /// readers can share one pass.
    public func forEachRecord(
        in collection: String? = nil, excluding: String? = nil, rows: ClosedRange<Int64> = 0...Int64.max,
        _ body: (_ collection: String, _ patient: String?, _ stateBytes: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let statement: Statement
        if let collection {
            statement = try connection.cachedStatement("SELECT collection, patient, state FROM records WHERE collection = ? AND id BETWEEN ? AND ?")
            try statement.bind(collection, at: 1)
        } else {
            statement = try connection.cachedStatement("SELECT collection, patient, state FROM records WHERE collection <> ? AND id BETWEEN ? AND ?")
            try statement.bind(excluding ?? "", at: 1)
        }
        try statement.bind(rows.lowerBound, at: 2)
        try statement.bind(rows.upperBound, at: 3)
        try visitRows(statement, body)
    }

    /// The highest row id of the records table; 0 when it is empty.
    public func maximumRowID() throws -> Int64 {
        try connection.cachedStatement("SELECT coalesce(max(id), 0) FROM records").firstRow { $0.int64(at: 0) } ?? 0
    }

    private func visitRows(
        _ statement: Statement, _ body: (_ collection: String, _ patient: String?, _ stateBytes: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        defer { statement.reset() }
        while try statement.step() {
            let name = try statement.requireText(at: 0)
            let patient = statement.text(at: 1)
            // sqlite3_column_bytes after sqlite3_column_blob, as SQLite requires.
            let pointer = sqlite3_column_blob(statement.handle, 2)
            let count = Int(sqlite3_column_bytes(statement.handle, 2))
            try body(name, patient, UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
        }
    }
}

extension RecordQueries {
    /// ``changesPage(since:units:limit:maxBytes:)`` read in one pass: each unit's changes
    /// stream from one joined statement (the record's row and all its units come with its
    /// entry), merged in sequence order as they are stepped, so a record costs one step
    /// where the page otherwise takes a lookup of its row and a query for its units, and
    /// no unit's stream runs ahead of the page by more than the row it is on. The same
    /// records, cut at the same places, with the same `hasMore`.
    public func changesPageStreamed(
        since: Int64, units: [String]?, limit: Int, maxBytes: Int
    ) throws -> (records: [StoredRecord], hasMore: Bool) {
        guard limit > 0 else { return ([], false) }
        // Column 0 the sequence, then the record; its units come as one text joined by
        // the unit separator (a control character no unit name holds), sorted here.
        let columns = """
            r.seq, r.collection, r.record_id, r.patient, r.state,
            (SELECT group_concat(unit, char(31)) FROM record_units WHERE record = r.id)
            """
        var streams: [Statement] = []
        if let units {
            for unit in Set(units).sorted() {
                let statement = try connection.prepare("""
                    SELECT \(columns) FROM record_units u JOIN records r ON r.id = u.record
                    WHERE u.unit = ? AND u.seq > ? ORDER BY u.seq
                    """)
                try statement.bind(unit, at: 1)
                try statement.bind(since, at: 2)
                streams.append(statement)
            }
        } else {
            let statement = try connection.prepare("SELECT \(columns) FROM records r WHERE r.seq > ? ORDER BY r.seq")
            try statement.bind(since, at: 1)
            streams.append(statement)
        }
        // Unstepped streams hold nothing; stepped ones keep a read open until reset.
        defer { for statement in streams { statement.reset() } }
        // Each stream's current row's sequence; nil once the stream has run out.
        var heads: [Int64?] = try streams.map { try $0.step() ? $0.int64(at: 0) : nil }
        var records: [StoredRecord] = []
        var bytes = 0
        var last: Int64?
        while true {
            // The stream whose current row is the oldest change; a record placed in several
            // of the units is on each of their streams at the same sequence, and is taken
            // once (sequence numbers are unique to a record's change).
            var next: Int?
            for (index, head) in heads.enumerated() {
                guard let head else { continue }
                if let chosen = next, let current = heads[chosen], current <= head { continue }
                next = index
            }
            guard let index = next, let sequence = heads[index] else { return (records, false) }
            if sequence != last {
                if records.count == limit { return (records, true) }
                let row = streams[index]
                let record = StoredRecord(
                    collection: try row.requireText(at: 1), recordID: try row.requireText(at: 2), patient: row.text(at: 3),
                    careUnits: row.withBytes(at: 5) { Self.units(joined: $0) },
                    sequence: sequence, stateBytes: row.blob(at: 4))
                let size = record.stateBytes.count + record.collection.utf8.count + record.recordID.utf8.count + 64
                if !records.isEmpty && bytes + size > maxBytes { return (records, true) }
                records.append(record)
                bytes += size
                last = sequence
            }
            heads[index] = try streams[index].step() ? streams[index].int64(at: 0) : nil
        }
    }

    /// Units joined by the unit separator, split and sorted as ``units(ofRow:)`` gives
    /// them. Split on the bytes: splitting the text by characters cost more than the row.
    private static func units(joined bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var units: [String] = []
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x1F {
            if index > start { units.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) }
            start = index + 1
        }
        return units.count > 1 ? units.sorted() : units
    }
}
