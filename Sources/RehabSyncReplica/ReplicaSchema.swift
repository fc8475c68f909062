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
        Migration(version: 203, name: "set-aside writes") { connection in
            // A write the server refused is kept here with the server's reason, never
            // lost and never blocking the rest of the sync: the clinician discards it or
            // applies it again on the record as it now stands.
            try connection.execute("""
                CREATE TABLE set_aside (
                    id INTEGER PRIMARY KEY,
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    patient TEXT,
                    -- The fields the refused write set, as a canonical JSON object.
                    write_values TEXT NOT NULL,
                    -- The whole local state when it was set aside.
                    state BLOB NOT NULL,
                    status INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    message TEXT NOT NULL,
                    field TEXT,
                    at INTEGER NOT NULL
                );
                """)
        },
        Migration(version: 204, name: "removed records") { connection in
            // Records that left the device's scope: removed from the replica, with the
            // state it held, so that a pending edit is still on record.
            try connection.execute("""
                CREATE TABLE removed_records (
                    id INTEGER PRIMARY KEY,
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    patient TEXT,
                    state BLOB NOT NULL,
                    had_pending INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                """)
        },
        Migration(version: 205, name: "replica instance and marks") { connection in
            // `instance`: this file's own id, to which the server binds the token.
            // `sent_mark`: the highest counter this file has ever sent, written before it
            // is sent; the server compares it with what it holds to tell an old copy.
            // `server_time`, `clock_drift`: the last server time seen and the drift the
            // server allows, the ceiling of the hybrid clock.
            try connection.execute("""
                ALTER TABLE sync_settings ADD COLUMN instance TEXT;
                ALTER TABLE sync_settings ADD COLUMN sent_mark INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sync_settings ADD COLUMN server_time INTEGER;
                ALTER TABLE sync_settings ADD COLUMN clock_drift INTEGER;
                """)
        },
        Migration(version: 206, name: "acknowledged mark and pending instance") { connection in
            // `ack_mark`: the counter this file had handed out when it last sent a batch the
            // server acknowledged; a file that must take a new replica id moves its writes
            // after it. `pending_instance`: the instance id asked for in a rotation, kept
            // until the rotation has committed here too.
            try connection.execute("""
                ALTER TABLE sync_settings ADD COLUMN ack_mark INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sync_settings ADD COLUMN pending_instance TEXT;
                """)
        },
    ]

    /// Indexes of the shared record schema that serve only a server (versions 240–249).
    ///
    /// `records_by_seq` answers "every change since N" and `record_units_by_unit_seq`
    /// "changes since N for unit U": the two pulls a server serves. A device never asks
    /// either: it reads records by key, by row, in key order (the dump and listings), its
    /// conflicts through `records_in_conflict`, and a record's units through the primary
    /// key of `record_units`. Each index costs a B-tree insert per pulled record (and one
    /// per unit), and its pages go through the WAL at every page's commit, so a device's
    /// file goes without them. A query that still asked for one would stay correct, only
    /// slower (a scan): the indexes carry no constraint the replica relies on, since the
    /// sequence numbers come from the one counter in `replica`. For the same reason a
    /// device's store does not renumber a record's unit rows when the record changes (a
    /// ``RecordStore`` on a file without `record_units_by_unit_seq`): their `seq` says when
    /// each was added, and nothing on a device reads it.
    static let deviceIndexMigrations = [
        Migration(version: 240, name: "drop the server's pull indexes") { connection in
            try connection.execute("""
                DROP INDEX IF EXISTS records_by_seq;
                DROP INDEX IF EXISTS record_units_by_unit_seq;
                """)
        },
    ]

    /// Every migration of a replica's own tables, oldest first, after the record schema's.
    static var all: [Migration] { migrations + accessLogMigrations + deviceIndexMigrations }
}
