import Foundation
import RehabSyncStorage

/// The yardstick of the `merge` and `push` scenarios: the same rows inserted by the
/// plainest prepared-statement loop, in batches of the same size, under the same pragmas
/// (a `DatabasePool` sets them as for the record store).
///
/// `checkpointsInBackground` gives the loop the server's background checkpointer, which
/// lets it use a second core as the server does; without it the loop keeps SQLite's own
/// automatic checkpoint, as a plain program would.
enum RawInsert {
    /// Seconds taken to insert `rows` (collection, record id, state bytes) into a new file.
    /// With `keyed`, the table has a unique index on the record's address (collection and
    /// id), as any store that finds a record by its address must.
    static func seconds(rows: [(collection: String, recordID: String, state: [UInt8])], batchSize: Int, path: String,
                        checkpointsInBackground: Bool = false, keyed: Bool = false) throws -> Double {
        let raw = try DatabasePool(path: path, configuration: DatabaseConfiguration(checkpointsInBackground: checkpointsInBackground),
                                   migrator: Migrator([
            Migration(version: 1, name: "raw") { connection in
                try connection.execute("CREATE TABLE raw (collection TEXT NOT NULL, record_id TEXT NOT NULL, state BLOB NOT NULL"
                                       + (keyed ? ", UNIQUE (collection, record_id))" : ")"))
            },
        ]))
        return try seconds(rows: rows, batchSize: batchSize, into: raw)
    }

    /// The plain loop inserting `rows` into the `raw` table of `pool`.
    static func seconds(rows: [(collection: String, recordID: String, state: [UInt8])], batchSize: Int,
                        into pool: DatabasePool) throws -> Double {
        try seconds(rows: rows, batchSize: batchSize, into: pool) { connection in
            let insert = try connection.cachedStatement("INSERT INTO raw (collection, record_id, state) VALUES (?, ?, ?)")
            return { row in
                try insert.bind(row.collection, at: 1)
                try insert.bind(row.recordID, at: 2)
                try insert.bind(row.state, at: 3)
                try insert.execute()
            }
        }
    }

    /// The loop itself: `rows` in transactions of `batchSize` on `pool`'s writer, each
    /// batch's statements prepared once by `prepare`, which returns what inserts one row.
    /// With `deferringSync`, each batch commits with `synchronous=NORMAL`, as a replica
    /// commits a pulled page (``DatabasePool/writeDeferringSync(_:)``).
    static func seconds<Row>(rows: [Row], batchSize: Int, into pool: DatabasePool, deferringSync: Bool = false,
                             prepare: (Connection) throws -> (Row) throws -> Void) throws -> Double {
        try measure {
            var start = 0
            while start < rows.count {
                let end = min(start + batchSize, rows.count)
                let batch = { (connection: Connection) in
                    let insert = try prepare(connection)
                    for row in rows[start..<end] { try insert(row) }
                }
                if deferringSync { try pool.writeDeferringSync(batch) } else { try pool.write(batch) }
                start = end
            }
        }
    }

    /// The loop's seconds three ways, each into a new file in `directory`.
    struct Yardsticks {
        /// With the server's background checkpointer: the fair yardstick, which the
        /// headline ratio compares with.
        let backgroundSeconds: Double
        /// With SQLite's own checkpoint inside the commit, as a plain program would have it.
        let sqliteSeconds: Double
        /// With the background checkpointer, into a table with a unique index on the
        /// record's address: the least a store that finds records by their address writes.
        let keyedSeconds: Double
    }

    /// The yardstick three ways, after whatever was measured before has stopped (its server
    /// and checkpointer too, so neither competes for a core).
    static func yardsticks(rows: [(collection: String, recordID: String, state: [UInt8])], batchSize: Int,
                           directory: URL) throws -> Yardsticks {
        let backgroundSeconds = try Self.seconds(rows: rows, batchSize: batchSize,
                                                 path: directory.appendingPathComponent("raw-background.sqlite").path,
                                                 checkpointsInBackground: true)
        let sqliteSeconds = try Self.seconds(rows: rows, batchSize: batchSize, path: directory.appendingPathComponent("raw.sqlite").path)
        let keyedSeconds = try Self.seconds(rows: rows, batchSize: batchSize, path: directory.appendingPathComponent("raw-keyed.sqlite").path,
                                            checkpointsInBackground: true, keyed: true)
        return Yardsticks(backgroundSeconds: backgroundSeconds, sqliteSeconds: sqliteSeconds, keyedSeconds: keyedSeconds)
    }

    /// The report's figures for the comparisons that are not the headline: with the loop
    /// that checkpoints inside its commits (one core where the server has two), and with
    /// the keyed loop (an index the headline's loop does without).
    static func comparisonFigures(records: Int, seconds: Double, yardsticks: Yardsticks) -> [(String, Double)] {
        let sqlitePerSecond = Double(records) / yardsticks.sqliteSeconds
        let keyedPerSecond = Double(records) / yardsticks.keyedSeconds
        return [("raw_sqlite_checkpoint_records_per_s", sqlitePerSecond),
                ("ratio_to_raw_sqlite_checkpoint", Double(records) / seconds / sqlitePerSecond),
                ("raw_keyed_records_per_s", keyedPerSecond),
                ("ratio_to_raw_keyed", Double(records) / seconds / keyedPerSecond)]
    }
}
