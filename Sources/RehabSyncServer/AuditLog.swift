import RehabSyncCore
import RehabSyncCrypto
import RehabSyncStorage

/// The append-only, chained access log, kept in the server's database so that an entry
/// commits in the same transaction as the write or delivery it records.
///
/// Each entry is sealed with an HMAC under a key kept outside the database
/// (``AuditKey``), so an entry cannot be rewritten and sealed again by someone who can only
/// write the database. Cutting entries off the end needs no key, which is why the head can
/// be anchored outside: ``head(connection:)`` gives a value for the operator's external
/// log, and ``verify(connection:anchor:)`` fails when the chain no longer reaches it.
/// Entries written before the key existed (migration 150) keep their SHA-256 chain.
struct AuditLog: Sendable {
    let key: AuditKey

    /// The previous hash of the first entry.
    static let genesis = String(repeating: "0", count: 64)

    /// The unkeyed seal of entries written before migration 150.
    static func legacyHash(previous: String, entry: [UInt8]) -> String {
        var hasher = SHA256Hasher()
        hasher.update(previous.utf8)
        hasher.update(entry)
        return Hex.encode(hasher.finalize())
    }

    /// Records the key's fingerprint on first use, and refuses a key file that is not the
    /// one the log was sealed with: a new key would make every later entry unverifiable.
    static func bind(_ key: AuditKey, connection: Connection) throws {
        let known = try connection.cachedStatement("SELECT key_fingerprint FROM audit_keying WHERE singleton = 1")
            .firstRow(nil) { $0.text(at: 0) }
        switch known {
        case .some(.some(let fingerprint)):
            guard fingerprint == key.fingerprint else {
                throw SettingsError("the audit key file is not the key this database's access log was sealed with; restore the original audit-key file")
            }
        case .some(.none):
            let update = try connection.cachedStatement("UPDATE audit_keying SET key_fingerprint = ? WHERE singleton = 1")
            try update.bind(key.fingerprint, at: 1)
            try update.execute()
        case .none:
            throw SettingsError("the database has no audit_keying row; it was changed outside RehabSync")
        }
    }

    /// The first entry sealed with the key; earlier ones are legacy SHA-256.
    private static func firstKeyedEntry(_ connection: Connection) throws -> Int64 {
        try connection.cachedStatement("SELECT first_keyed_entry FROM audit_keying WHERE singleton = 1")
            .firstRow(nil) { $0.int64(at: 0) } ?? 1
    }

    private func seal(_ entry: AuditEntry, firstKeyed: Int64, previous: String) -> String {
        entry.id >= firstKeyed
            ? key.seal(entry.sealedBytes(previous: previous))
            : Self.legacyHash(previous: previous, entry: entry.canonicalBytes)
    }

    /// Appends one entry inside the caller's write transaction: `action` by `device` on
    /// every one of `subjects`. Nothing is written for an empty list of subjects.
    func append(_ action: AuditAction, device: String, subjects: [AuditSubject], at now: Int64,
                connection: Connection) throws {
        guard !subjects.isEmpty else { return }
        let (subjectsText, patients) = AuditSubjectsWriter(subjects).finish()
        try append(action, device: device, subjectsText: subjectsText, patients: patients, at: now, connection: connection)
    }

    /// ``append(_:device:subjects:at:connection:)`` for subjects already written by an
    /// ``AuditSubjectsWriter`` (as a pull page writes them straight from its records): the
    /// text and the distinct patients it names.
    func append(_ action: AuditAction, device: String, subjectsText: [UInt8], patients: Set<String>, at now: Int64,
                connection: Connection) throws {
        let (lastID, lastHash) = try Self.head(connection)
        let entry = AuditEntry(id: lastID + 1, atMilliseconds: now, device: device, action: action.rawValue,
                               subjectsText: subjectsText, previousHash: lastHash, hash: "")
        let sealed = key.seal(entry.sealedBytes(previous: lastHash))
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
        for patient in patients {
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

    /// The head as the operator writes it down outside the server: `<entry id>:<seal>`.
    static func head(connection: Connection) throws -> AuditHead {
        let (id, hash) = try head(connection)
        return AuditHead(entry: id, hash: hash)
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

    /// Recomputes the chain from the first entry: an edited entry breaks its seal, a
    /// removed one leaves a gap in the ids or a previous-hash mismatch, a removed tail
    /// disagrees with the head, and with an `anchor` (a head written down earlier) a tail
    /// removed together with a moved head is found too. The patient index is checked
    /// against the entries, since an extract that silently missed entries would be as bad
    /// as a removed one.
    func verify(connection: Connection, anchor: AuditHead? = nil) throws -> Verification {
        let statement = try connection.prepare("SELECT \(Self.columns) FROM audit ORDER BY id")
        let indexed = try connection.cachedStatement("SELECT 1 FROM audit_patients WHERE patient = ? AND entry = ?")
        let firstKeyed = try Self.firstKeyedEntry(connection)
        var expectedID: Int64 = 1
        var previous = Self.genesis
        var count = 0
        var indexRows = 0
        while try statement.step() {
            let entry = try Self.entry(from: statement)
            count += 1
            if entry.id != expectedID {
                return Verification(entries: count, brokenAt: expectedID, problem: "entry \(expectedID) is missing")
            }
            if entry.previousHash != previous {
                return Verification(entries: count, brokenAt: entry.id, problem: "entry does not follow the previous one")
            }
            if seal(entry, firstKeyed: firstKeyed, previous: previous) != entry.hash {
                return Verification(entries: count, brokenAt: entry.id, problem: "entry was altered after it was written")
            }
            if let anchor, anchor.entry == entry.id, anchor.hash != entry.hash {
                return Verification(entries: count, brokenAt: entry.id, problem: "entry differs from the anchored head")
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
        let (lastID, lastHash) = try Self.head(connection)
        if lastID != expectedID - 1 || lastHash != previous {
            return Verification(entries: count, brokenAt: expectedID, problem: "entries after \(expectedID - 1) were removed")
        }
        if let anchor, anchor.entry > lastID {
            return Verification(entries: count, brokenAt: lastID + 1,
                                problem: "the chain ends at entry \(lastID) and does not reach the anchored head \(anchor.entry); entries were removed")
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
