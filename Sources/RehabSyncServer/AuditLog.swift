import RehabSyncCore
import RehabSyncCrypto
import RehabSyncStorage

/// The append-only, hash-chained access log, kept in the server's database so that an
/// entry commits in the same transaction as the write or delivery it records.
enum AuditLog {
    /// The previous hash of the first entry.
    static let genesis = String(repeating: "0", count: 64)

    static func hash(previous: String, entry: [UInt8]) -> String {
        SHA256Digest.hex(SHA256Digest.hash(Array(previous.utf8) + entry))
    }

    /// Appends entries inside the caller's write transaction.
    static func append(_ drafts: [AuditDraft], at now: Int64, connection: Connection) throws {
        guard !drafts.isEmpty else { return }
        var (lastID, lastHash) = try head(connection)
        let insert = try connection.cachedStatement("""
            INSERT INTO audit (id, at, device, clinician, units, patient, collection, record_id, action, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for draft in drafts {
            lastID += 1
            let unsealed = AuditEntry(id: lastID, atMilliseconds: now, device: draft.device, clinician: draft.clinician,
                                      units: draft.units, patient: draft.patient, collection: draft.collection,
                                      recordID: draft.recordID, action: draft.action.rawValue, previousHash: lastHash, hash: "")
            let sealed = hash(previous: lastHash, entry: unsealed.canonicalBytes)
            try insert.bind(lastID, at: 1)
            try insert.bind(now, at: 2)
            try insert.bind(draft.device, at: 3)
            try bind(draft.clinician, insert, 4)
            try insert.bind(JSONValue.array(draft.units.map(JSONValue.string)).canonicalText, at: 5)
            try bind(draft.patient, insert, 6)
            try bind(draft.collection, insert, 7)
            try bind(draft.recordID, insert, 8)
            try insert.bind(draft.action.rawValue, at: 9)
            try insert.bind(lastHash, at: 10)
            try insert.bind(sealed, at: 11)
            try insert.execute()
            lastHash = sealed
        }
        let update = try connection.cachedStatement(
            "INSERT INTO audit_head (singleton, last_id, last_hash) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash")
        try update.bind(lastID, at: 1)
        try update.bind(lastHash, at: 2)
        try update.execute()
    }

    private static func bind(_ value: String?, _ statement: Statement, _ index: Int32) throws {
        if let value { try statement.bind(value, at: index) } else { try statement.bindNull(at: index) }
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
    /// with the head.
    static func verify(connection: Connection) throws -> Verification {
        let statement = try connection.prepare(
            "SELECT id, at, device, clinician, units, patient, collection, record_id, action, previous_hash, hash FROM audit ORDER BY id")
        var expectedID: Int64 = 1
        var previous = genesis
        var count = 0
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
            previous = entry.hash
            expectedID += 1
        }
        let (lastID, lastHash) = try head(connection)
        if lastID != expectedID - 1 || lastHash != previous {
            return Verification(entries: count, brokenAt: expectedID, problem: "entries after \(expectedID - 1) were removed")
        }
        return Verification(entries: count, brokenAt: nil, problem: nil)
    }

    /// Every entry about one patient, oldest first: the extract a patient may ask for.
    static func entries(patient: String, connection: Connection) throws -> [AuditEntry] {
        let statement = try connection.cachedStatement(
            "SELECT id, at, device, clinician, units, patient, collection, record_id, action, previous_hash, hash FROM audit WHERE patient = ? ORDER BY id")
        try statement.bind(patient, at: 1)
        return try statement.rows(nil) { try entry(from: $0) }
    }

    private static func entry(from row: Statement) throws -> AuditEntry {
        let unitsText = try row.requireText(at: 4)
        let units = (try? JSONParser.parse(unitsText))?.arrayValue?.compactMap(\.stringValue) ?? []
        return AuditEntry(id: row.int64(at: 0), atMilliseconds: row.int64(at: 1), device: try row.requireText(at: 2),
                          clinician: row.text(at: 3), units: units, patient: row.text(at: 5), collection: row.text(at: 6),
                          recordID: row.text(at: 7), action: try row.requireText(at: 8),
                          previousHash: try row.requireText(at: 9), hash: try row.requireText(at: 10))
    }
}
