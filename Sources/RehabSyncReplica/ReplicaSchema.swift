import RehabSyncStorage

/// Tables a device replica keeps beside its records, in the same file, so that a write and
/// its pending mark, or a pulled page and the new cursor, commit together.
enum ReplicaSchema {
    static let migrations = [
        Migration(version: 201, name: "sync settings") { connection in
            try connection.execute("""
                CREATE TABLE sync_settings (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    server TEXT NOT NULL,
                    token TEXT NOT NULL,
                    clinician TEXT,
                    cursor INTEGER NOT NULL DEFAULT 0,
                    last_sync_at INTEGER,
                    last_digest_match INTEGER
                );
                """)
        },
        Migration(version: 202, name: "pending pushes") { connection in
            // A record is pending from its local write until a push of the state it had then
            // is acknowledged. The sequence number tells whether it changed in between.
            try connection.execute("""
                CREATE TABLE pending (
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (collection, record_id)
                ) WITHOUT ROWID;
                """)
        },
    ]
}
