import RehabSyncStorage

/// Tables the sync server keeps beside the records, in the same file, so that an audit
/// entry commits together with the write or delivery it logs. Versions start at 101 to
/// leave the record schema room below.
enum ServerSchema {
    static let migrations = [
        Migration(version: 101, name: "devices") { connection in
            try connection.execute("""
                CREATE TABLE devices (
                    replica_id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    units TEXT NOT NULL,
                    token_hash TEXT NOT NULL,
                    enrolled_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    last_seen_at INTEGER,
                    cursor INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """)
        },
        Migration(version: 102, name: "audit") { connection in
            // Append-only: entries are chained by SHA-256, and triggers refuse UPDATE and
            // DELETE so that even a bug cannot rewrite history through this connection.
            try connection.execute("""
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    device TEXT NOT NULL,
                    action TEXT NOT NULL,
                    -- The records (or devices, or units) the entry is about, as the
                    -- canonical JSON array the hash covers: one entry per request and
                    -- action, so that a pull of thousands of records is one row and
                    -- one hash rather than thousands.
                    subjects TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                -- Which entries concern a patient, for extracts; verify checks it
                -- against the subjects.
                CREATE TABLE audit_patients (
                    patient TEXT NOT NULL,
                    entry INTEGER NOT NULL,
                    PRIMARY KEY (patient, entry)
                ) WITHOUT ROWID;
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
                CREATE TRIGGER audit_patients_no_update BEFORE UPDATE ON audit_patients
                    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
                CREATE TRIGGER audit_patients_no_delete BEFORE DELETE ON audit_patients
                    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
                CREATE TABLE audit_head (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    last_id INTEGER NOT NULL,
                    last_hash TEXT NOT NULL
                );
                """)
        },
        Migration(version: 103, name: "audit format check") { connection in
            // Migration 102 changed before the first release, from one audit row per record
            // to one entry per request. A data directory from a development build before
            // that has the old table; refuse it plainly rather than fail every request.
            let columns = try connection.prepare("PRAGMA table_info(audit)").rows { try $0.requireText(at: 1) }
            guard columns.contains("subjects") else {
                throw DatabaseError.misuse(
                    "this database has the audit table of a development build before the first release; start with a new data directory")
            }
        },
        Migration(version: 104, name: "device instances") { connection in
            // A token belongs to one replica instance; a device writes under `writer`
            // (its enrolment id until a restored replica takes a fresh one); and the
            // server remembers the highest counter it stored from that writer, so that a
            // dot is never handed out twice.
            try connection.execute("""
                ALTER TABLE devices ADD COLUMN instance TEXT;
                ALTER TABLE devices ADD COLUMN writer TEXT;
                ALTER TABLE devices ADD COLUMN counter_mark INTEGER NOT NULL DEFAULT 0;
                """)
        },
        Migration(version: 150, name: "audit keying") { connection in
            // Entries from here on are sealed with an HMAC whose key lives outside the
            // database; earlier ones keep their SHA-256 chain. The fingerprint names the
            // key so that a wrong key file is refused at start-up, and is set only once.
            try connection.execute("""
                CREATE TABLE audit_keying (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    first_keyed_entry INTEGER NOT NULL,
                    key_fingerprint TEXT
                );
                INSERT INTO audit_keying (singleton, first_keyed_entry, key_fingerprint)
                    SELECT 1, coalesce(max(id), 0) + 1, NULL FROM audit;
                CREATE TRIGGER audit_keying_no_delete BEFORE DELETE ON audit_keying
                    BEGIN SELECT RAISE(ABORT, 'the audit keying is fixed'); END;
                CREATE TRIGGER audit_keying_set_once BEFORE UPDATE ON audit_keying
                    WHEN OLD.key_fingerprint IS NOT NULL OR NEW.first_keyed_entry IS NOT OLD.first_keyed_entry
                    BEGIN SELECT RAISE(ABORT, 'the audit keying is fixed'); END;
                """)
        },
        Migration(version: 151, name: "device access logs") { connection in
            // Each access-log entry a device has delivered, by its id and the SHA-256 of its
            // content: a batch resent after a lost answer is not logged twice, while a device
            // restored from a backup, whose ids start again, still has its new reads logged.
            try connection.execute("""
                CREATE TABLE device_access_seen (
                    replica_id TEXT NOT NULL,
                    entry_id INTEGER NOT NULL,
                    digest TEXT NOT NULL,
                    PRIMARY KEY (replica_id, entry_id, digest)
                ) WITHOUT ROWID;
                """)
        },
        Migration(version: 152, name: "audit entries with one clinician stored once") { _ in
            // No table changes: from this version an entry whose subjects share one
            // clinician may store them in the shared form (AuditSubjectsWriter), which an
            // older build cannot read. The version is raised so that such a build refuses
            // the file when it opens it, instead of failing on the audit chain later.
        },
    ]
}
