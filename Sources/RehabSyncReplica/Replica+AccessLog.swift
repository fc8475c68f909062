import RehabSyncCore
import RehabSyncStorage

/// Reads on a device are access to patient data too (PDL 4 kap. 3 §, HSLF-FS 2016:40): the
/// replica logs which clinician opened which records, listed a patient's records or
/// reviewed conflicts, in its own table, and hands the log to the server at the next sync,
/// where it joins the server's sealed access log and the patient's extract.
extension Replica {
    /// What a logged read was.
    enum AccessAction: String {
        case read
        case list
        case conflicts
    }

    /// The most records one logged access names; a longer list is logged as several.
    static let maximumAccessSubjects = 5_000
    /// Entries sent per request, and a bound on the request's size.
    static let accessLogBatchEntries = 1_000
    static let accessLogBatchBytes = 1_048_576

    /// Opens one record, logging the read by `clinician` (or the replica's clinician).
    public func readRecord(collection: String, id: String, clinician given: String? = nil) throws -> StoredRecord? {
        let clinician = try clinician(given)
        let found = try record(collection: collection, id: id)
        if let found { try logAccess(.read, records: [found], clinician: clinician) }
        return found
    }

    /// Lists records as ``list(collection:patient:)`` does; a list of one patient's records
    /// is logged, since it shows that patient's data.
    public func listRecords(collection: String? = nil, patient: String? = nil, clinician given: String? = nil) throws -> [StoredRecord] {
        let clinician = try patient.map { _ in try self.clinician(given) }
        let records = try list(collection: collection, patient: patient)
        if let clinician { try logAccess(.list, records: records, clinician: clinician) }
        return records
    }

    /// The records in conflict, for a clinician to review; the review is logged.
    public func reviewConflicts(clinician given: String? = nil) throws -> [StoredRecord] {
        let clinician = try clinician(given)
        let records = try conflicts()
        try logAccess(.conflicts, records: records, clinician: clinician)
        return records
    }

    /// How many logged reads wait to be sent to the server.
    public func pendingAccessLogCount() throws -> Int {
        try store.read { try $0.connection.cachedStatement("SELECT count(*) FROM access_log").firstRow(nil) { Int($0.int64(at: 0)) } ?? 0 }
    }

    private func logAccess(_ action: AccessAction, records: [StoredRecord], clinician: String) throws {
        guard !records.isEmpty else { return }
        let time = now()
        try store.database.write { connection in
            let insert = try connection.cachedStatement("INSERT INTO access_log (at, clinician, action, subjects) VALUES (?, ?, ?, ?)")
            var start = 0
            while start < records.count {
                let chunk = records[start..<min(start + Self.maximumAccessSubjects, records.count)]
                try insert.bind(time, at: 1)
                try insert.bind(clinician, at: 2)
                try insert.bind(action.rawValue, at: 3)
                try insert.bind(utf8: JSONValue.array(chunk.map(Self.accessSubject)).canonicalBytes, at: 4)
                try insert.execute()
                start += Self.maximumAccessSubjects
            }
        }
    }

    private static func accessSubject(_ record: StoredRecord) -> JSONValue {
        .object(["collection": .string(record.collection), "record": .string(record.recordID),
                 "patient": record.patient.map(JSONValue.string) ?? .null, "units": .array(record.careUnits.map(JSONValue.string))])
    }

    /// Sends the logged reads to the server in bounded batches, forgetting each batch once
    /// the server has logged it. Entries carry their own id, so a batch resent after a lost
    /// answer is not logged twice.
    func pushAccessLog(_ transport: SyncTransport) throws {
        while true {
            let entries = try store.read { queries in
                try queries.connection.cachedStatement("SELECT id, at, clinician, action, subjects FROM access_log ORDER BY id LIMIT ?")
                    .rows([.integer(Int64(Self.accessLogBatchEntries))]) { row in
                        (id: row.int64(at: 0), json: JSONValue.object([
                            "id": .integer(row.int64(at: 0)), "at": .integer(row.int64(at: 1)),
                            "clinician": .string(try row.requireText(at: 2)), "action": .string(try row.requireText(at: 3)),
                            "subjects": try JSONParser.parse(row.blob(at: 4)),
                        ]))
                    }
            }
            guard !entries.isEmpty else { return }
            var batch: [JSONValue] = []
            var bytes = 0
            var through: Int64 = 0
            for entry in entries where batch.isEmpty || bytes < Self.accessLogBatchBytes {
                batch.append(entry.json)
                bytes += entry.json.canonicalBytes.count
                through = entry.id
            }
            _ = try transport.send("POST", "/v1/sync/access-log", body: JSONValue.object(["entries": .array(batch)]).canonicalBytes)
            try store.database.write { connection in
                let forget = try connection.cachedStatement("DELETE FROM access_log WHERE id <= ?")
                try forget.bind(through, at: 1)
                try forget.execute()
            }
        }
    }
}

extension ReplicaSchema {
    /// The device's access log (versions 230–239 belong to it).
    static let accessLogMigrations = [
        Migration(version: 230, name: "device access log") { connection in
            // AUTOINCREMENT so an id is never given twice in this file, even after the rows
            // before it were sent and deleted: the server tells a resend by id and content.
            try connection.execute("""
                CREATE TABLE access_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    clinician TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subjects BLOB NOT NULL
                );
                """)
        },
    ]
}
