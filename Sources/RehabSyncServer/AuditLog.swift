import RehabSyncCore
import RehabSyncCrypto
import RehabSyncStorage

/// The append-only, hash-chained access log, kept in the server's database so that an
/// entry commits in the same transaction as the write or delivery it records.
enum AuditLog {
    /// The previous hash of the first entry.
    static let genesis = String(repeating: "0", count: 64)

    static func hash(previous: String, entry: [UInt8]) -> String {
        var hasher = SHA256Hasher()
        hasher.update(previous.utf8)
        hasher.update(entry)
        return Hex.encode(hasher.finalize())
    }

    /// Appends one entry inside the caller's write transaction: `action` by `device` on
    /// every one of `subjects`. Nothing is written for an empty list of subjects.
    static func append(_ action: AuditAction, device: String, subjects: [AuditSubject], at now: Int64,
                       connection: Connection) throws {
        guard !subjects.isEmpty else { return }
        let (lastID, lastHash) = try head(connection)
        let entry = AuditEntry(id: lastID + 1, atMilliseconds: now, device: device, action: action.rawValue,
                               subjectsText: AuditSubject.encode(subjects), previousHash: lastHash, hash: "")
        let sealed = hash(previous: lastHash, entry: entry.canonicalBytes)
        let insert = try connection.cachedStatement(
            "INSERT INTO audit (id, at, device, action, subjects, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
        try insert.bind(entry.id, at: 1)
        try insert.bind(now, at: 2)
        try insert.bind(device, at: 3)
        try insert.bind(entry.action, at: 4)
        try insert.bind(utf8: entry.subjectsText, at: 5)
        try insert.bind(lastHash, at: 6)
        try insert.bind(sealed, at: 7)
        try insert.execute()
        // The patient index that extracts use: one row per patient the entry is about.
        let index = try connection.cachedStatement("INSERT OR IGNORE INTO audit_patients (patient, entry) VALUES (?, ?)")
        var indexed = Set<String>()
        for subject in subjects {
            guard let patient = subject.patient, indexed.insert(patient).inserted else { continue }
            try index.bind(patient, at: 1)
            try index.bind(entry.id, at: 2)
            try index.execute()
        }
        let update = try connection.cachedStatement(
            "INSERT INTO audit_head (singleton, last_id, last_hash) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash")
        try update.bind(entry.id, at: 1)
        try update.bind(sealed, at: 2)
        try update.execute()
    }

    private static func head(_ connection: Connection) throws -> (Int64, String) {
        try connection.cachedStatement("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1")
            .firstRow(nil) { ($0.int64(at: 0), try $0.requireText(at: 1)) } ?? (0, genesis)
    }

    /// The outcome of checking the chain.
    struct Verification: Sendable {
        let entries: Int
        /// The first entry that is wrong, and why; nil when the chain is intact.
        let brokenAt: Int64?
        let problem: String?

        var json: JSONValue {
            .object(["ok": .bool(brokenAt == nil), "entries": .integer(Int64(entries)),
                     "brokenAt": brokenAt.map(JSONValue.integer) ?? .null,
                     "problem": problem.map(JSONValue.string) ?? .null])
        }
    }

    /// Recomputes the chain from the first entry: an edited entry breaks its hash, a removed
    /// one leaves a gap in the ids or a previous-hash mismatch, a removed tail disagrees
    /// with the head. The patient index is checked against the entries too, since an
    /// extract that silently missed entries would be as bad as a removed one.
    static func verify(connection: Connection) throws -> Verification {
        let statement = try connection.prepare("SELECT \(columns) FROM audit ORDER BY id")
        let indexed = try connection.cachedStatement("SELECT 1 FROM audit_patients WHERE patient = ? AND entry = ?")
        var expectedID: Int64 = 1
        var previous = genesis
        var count = 0
        var indexRows = 0
        while try statement.step() {
            let entry = try entry(from: statement)
            count += 1
            if entry.id != expectedID {
                return Verification(entries: count, brokenAt: expectedID, problem: "entry \(expectedID) is missing")
            }
            if entry.previousHash != previous {
                return Verification(entries: count, brokenAt: entry.id, problem: "entry does not follow the previous one")
            }
            if hash(previous: previous, entry: entry.canonicalBytes) != entry.hash {
                return Verification(entries: count, brokenAt: entry.id, problem: "entry was altered after it was written")
            }
            guard let subjects = entry.subjects else {
                return Verification(entries: count, brokenAt: entry.id, problem: "entry's subjects cannot be read")
            }
            for patient in Set(subjects.compactMap(\.patient)) {
                try indexed.bind(patient, at: 1)
                try indexed.bind(entry.id, at: 2)
                guard try indexed.firstRow({ _ in true }) == true else {
                    return Verification(entries: count, brokenAt: entry.id, problem: "entry is missing from the patient index")
                }
                indexRows += 1
            }
            previous = entry.hash
            expectedID += 1
        }
        let (lastID, lastHash) = try head(connection)
        if lastID != expectedID - 1 || lastHash != previous {
            return Verification(entries: count, brokenAt: expectedID, problem: "entries after \(expectedID - 1) were removed")
        }
        let rows = try connection.cachedStatement("SELECT count(*) FROM audit_patients").firstRow { Int($0.int64(at: 0)) } ?? 0
        if rows != indexRows {
            return Verification(entries: count, brokenAt: nil, problem: "the patient index names entries that do not name the patient")
        }
        return Verification(entries: count, brokenAt: nil, problem: nil)
    }

    /// Every access to one patient's records, oldest first, one item per record: the
    /// extract a patient may ask for.
    static func extract(patient: String, connection: Connection) throws -> [JSONValue] {
        // Prepared each time: extracts are rare, and the SQL is built from `columns`.
        let statement = try connection.prepare("""
            SELECT \(columns) FROM audit_patients JOIN audit ON audit.id = audit_patients.entry
            WHERE audit_patients.patient = ? ORDER BY audit_patients.entry
            """)
        try statement.bind(patient, at: 1)
        var items: [JSONValue] = []
        for entry in try statement.rows(nil, { try entry(from: $0) }) {
            for subject in entry.subjects ?? [] where subject.patient == patient {
                items.append(entry.json(subject))
            }
        }
        return items
    }

    private static let columns = "audit.id, audit.at, audit.device, audit.action, audit.subjects, audit.previous_hash, audit.hash"

    private static func entry(from row: Statement) throws -> AuditEntry {
        AuditEntry(id: row.int64(at: 0), atMilliseconds: row.int64(at: 1), device: try row.requireText(at: 2),
                   action: try row.requireText(at: 3), subjectsText: row.blob(at: 4),
                   previousHash: try row.requireText(at: 5), hash: try row.requireText(at: 6))
    }
}
