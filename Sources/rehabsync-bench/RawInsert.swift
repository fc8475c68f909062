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
    static func seconds(rows: [(collection: String, recordID: String, state: [UInt8])], batchSize: Int, path: String,
                        checkpointsInBackground: Bool = false) throws -> Double {
        let raw = try DatabasePool(path: path, configuration: DatabaseConfiguration(checkpointsInBackground: checkpointsInBackground),
                                   migrator: Migrator([
            Migration(version: 1, name: "raw") { connection in
                try connection.execute("CREATE TABLE raw (collection TEXT NOT NULL, record_id TEXT NOT NULL, state BLOB NOT NULL)")
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

    /// The yardstick both ways, in new files in `directory`, after whatever was measured
    /// before has stopped (its server and checkpointer too, so neither competes for a core):
    /// first with the background checkpointer the server uses (the fair yardstick, which
    /// the headline ratio compares with), then with SQLite's own checkpoint inside the
    /// commit, as a plain program would have it.
    static func bothWays(rows: [(collection: String, recordID: String, state: [UInt8])], batchSize: Int,
                         directory: URL) throws -> (backgroundSeconds: Double, sqliteSeconds: Double) {
        let backgroundSeconds = try Self.seconds(rows: rows, batchSize: batchSize,
                                                 path: directory.appendingPathComponent("raw-background.sqlite").path,
                                                 checkpointsInBackground: true)
        let sqliteSeconds = try Self.seconds(rows: rows, batchSize: batchSize, path: directory.appendingPathComponent("raw.sqlite").path)
        return (backgroundSeconds, sqliteSeconds)
    }

    /// The report's figures for the comparison with the loop that checkpoints inside its
    /// commits, which is not the headline: it has one core where the server has two.
    static func sqliteCheckpointFigures(records: Int, seconds: Double, sqliteSeconds: Double) -> [(String, Double)] {
        let rawPerSecond = Double(records) / sqliteSeconds
        return [("raw_sqlite_checkpoint_records_per_s", rawPerSecond),
                ("ratio_to_raw_sqlite_checkpoint", Double(records) / seconds / rawPerSecond)]
    }
}
