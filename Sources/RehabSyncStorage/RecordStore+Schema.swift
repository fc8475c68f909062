extension RecordStore {
    /// The schema of a replica's record database, one migration per schema version.
    /// Never edit a migration that has shipped; add a new one.
    public static let migrator = Migrator([
        Migration(version: 1, name: "records") { connection in
            try connection.execute("""
                CREATE TABLE replica (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    replica_id TEXT NOT NULL,
                    counter INTEGER NOT NULL CHECK (counter >= 0),
                    hlc_milliseconds INTEGER NOT NULL CHECK (hlc_milliseconds >= 0),
                    hlc_logical INTEGER NOT NULL CHECK (hlc_logical >= 0),
                    sequence INTEGER NOT NULL CHECK (sequence >= 0)
                );
                CREATE TABLE records (
                    id INTEGER PRIMARY KEY,
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    patient TEXT,
                    state BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    in_conflict INTEGER NOT NULL CHECK (in_conflict IN (0, 1)),
                    UNIQUE (collection, record_id)
                );
                CREATE UNIQUE INDEX records_by_seq ON records (seq);

                CREATE INDEX records_in_conflict ON records (seq) WHERE in_conflict = 1;
                -- One row per (record, unit), carrying the record's seq so that "changes
                -- since N for unit U" is one range scan of record_units_by_unit_seq. No
                -- foreign key: records are never deleted, so it would only cost a lookup.
                CREATE TABLE record_units (
                    record INTEGER NOT NULL,
                    unit TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (record, unit)
                ) WITHOUT ROWID;
                CREATE INDEX record_units_by_unit_seq ON record_units (unit, seq);
                """)
        },
        Migration(version: 2, name: "record grants") { connection in
            // Units that may see a record besides those its own fields name: a care plan
            // travels to the receiving unit of a handover. Keyed by address, not row, so a
            // grant can arrive before the record it opens.
            try connection.execute("""
                CREATE TABLE record_grants (
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    PRIMARY KEY (collection, record_id, unit)
                ) WITHOUT ROWID;
                """)
        },
        Migration(version: 3, name: "unit removals") { connection in
            // A record that leaves a unit (moved, or a grant lapsed) is noted here under
            // the sequence number of the change, so that a pull by the unit's devices can
            // say "no longer visible" in order with the records it delivers.
            try connection.execute("""
                CREATE TABLE unit_removals (
                    seq INTEGER NOT NULL,
                    unit TEXT NOT NULL,
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    PRIMARY KEY (unit, seq, collection, record_id)
                ) WITHOUT ROWID;
                """)
        },
    ])
}
