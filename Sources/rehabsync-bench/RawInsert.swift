import Foundation
import RehabSyncStorage

/// The yardstick of the `merge` and `push` scenarios: the same rows inserted by the
/// plainest prepared-statement loop, in batches of the same size, under the same pragmas
/// (a `DatabasePool` sets them as for the record store).
///
/// By default the loop keeps SQLite's own automatic checkpoint, as a plain program would;
/// `checkpointsInBackground` gives it the server's background checkpointer too, which lets
/// the one-threaded loop use a second core.
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
        return try measure {
            var start = 0
            while start < rows.count {
                let end = min(start + batchSize, rows.count)
                try raw.write { connection in
                    let insert = try connection.cachedStatement("INSERT INTO raw (collection, record_id, state) VALUES (?, ?, ?)")
                    for row in rows[start..<end] {
                        try insert.bind(row.collection, at: 1)
                        try insert.bind(row.recordID, at: 2)
                        try insert.bind(row.state, at: 3)
                        try insert.execute()
                    }
                }
                start = end
            }
        }
    }

    /// The yardstick both ways, in new files in `directory`: seconds with SQLite's own
    /// checkpoint, and seconds with the background checkpointer the server uses.
    static func bothWays(rows: [(collection: String, recordID: String, state: [UInt8])], batchSize: Int,
                         directory: URL) throws -> (seconds: Double, backgroundSeconds: Double) {
        let seconds = try Self.seconds(rows: rows, batchSize: batchSize, path: directory.appendingPathComponent("raw.sqlite").path)
        let backgroundSeconds = try Self.seconds(rows: rows, batchSize: batchSize,
                                                 path: directory.appendingPathComponent("raw-background.sqlite").path,
                                                 checkpointsInBackground: true)
        return (seconds, backgroundSeconds)
    }

    /// The report's figures for the comparison with the background-checkpointed loop.
    static func backgroundFigures(records: Int, seconds: Double, backgroundSeconds: Double) -> [(String, Double)] {
        let rawPerSecond = Double(records) / backgroundSeconds
        return [("raw_background_checkpoint_records_per_second", rawPerSecond),
                ("ratio_to_raw_background_checkpoint", Double(records) / seconds / rawPerSecond)]
    }
}
