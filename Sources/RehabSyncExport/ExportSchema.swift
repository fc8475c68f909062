import RehabSyncStorage

/// The export ledger's tables, kept in the server's database so that a delivery's record
/// commits in the same file as the data it reports. Versions 120 to 139 belong to export.
public enum ExportSchema {
    public static let migrations = [
        Migration(version: 120, name: "export ledger") { connection in
            try connection.execute("""
                CREATE TABLE export_jobs (
                    job TEXT PRIMARY KEY,
                    first_seen_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- One row per run of a job for a period: who started it and how it ended.
                CREATE TABLE export_runs (
                    id INTEGER PRIMARY KEY,
                    job TEXT NOT NULL,
                    period TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    as_of INTEGER NOT NULL,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER,
                    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'completed', 'incomplete', 'failed')),
                    detail TEXT
                );
                CREATE INDEX export_runs_by_period ON export_runs (job, period, id);
                -- One row per (job, unit, period, revision): the payload is stored before it
                -- is sent, so a crash after the register's answer resends the same bytes
                -- under the same key and the register counts it once.
                CREATE TABLE export_deliveries (
                    id INTEGER PRIMARY KEY,
                    job TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    period TEXT NOT NULL,
                    revision INTEGER NOT NULL CHECK (revision >= 1),
                    idempotency_key TEXT NOT NULL UNIQUE,
                    figures_hash TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    payload_hash TEXT NOT NULL,
                    snapshot_sequence INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                    http_status INTEGER,
                    answer TEXT,
                    run INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    UNIQUE (job, unit, period, revision)
                );
                CREATE TABLE export_attempts (
                    id INTEGER PRIMARY KEY,
                    delivery INTEGER NOT NULL REFERENCES export_deliveries (id),
                    at INTEGER NOT NULL,
                    http_status INTEGER,
                    error TEXT
                );
                CREATE INDEX export_attempts_by_delivery ON export_attempts (delivery);
                -- At most one holder per job and period, across processes: a run takes the
                -- lease in a write transaction and gives it back when done; a crashed
                -- holder's lease lapses at expires_at.
                CREATE TABLE export_leases (
                    job TEXT NOT NULL,
                    period TEXT NOT NULL,
                    holder TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    PRIMARY KEY (job, period)
                ) WITHOUT ROWID;
                """)
        },
    ]
}
