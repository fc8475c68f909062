import Foundation
import RehabSyncReplica
import RehabSyncStorage

/// The yardstick of the `merge-join` scenario: the least a join into stored records must
/// do in SQLite, by the plainest prepared-statement loop. For each record it reads the
/// stored state by key and writes the joined state's bytes in its place, in batches of the
/// same size, under a device's database settings, with the same background checkpointer,
/// each batch committed without waiting for the disk as a pulled page is; no sequence
/// numbers, units or conflict flags. The stored rows are loaded and checkpointed before
/// the loop is timed.
enum RawUpdate {
    /// Seconds taken to read and replace the state of every row in `updates`, in a new file
    /// at `path` first filled with `stored`.
    static func seconds(stored: [(collection: String, recordID: String, state: [UInt8])],
                        updates: [(collection: String, recordID: String, state: [UInt8])],
                        batchSize: Int, path: String) throws -> Double {
        let raw = try DatabasePool(path: path, configuration: Replica.storeConfiguration,
                                   migrator: Migrator([
            Migration(version: 1, name: "raw") { connection in
                try connection.execute("""
                    CREATE TABLE raw (collection TEXT NOT NULL, record_id TEXT NOT NULL, state BLOB NOT NULL,
                                      UNIQUE (collection, record_id))
                    """)
            },
        ]))
        // The same loop as the insert yardstick's, untimed here.
        _ = try RawInsert.seconds(rows: stored, batchSize: batchSize, into: raw)
        try raw.checkpoint()
        return try RawInsert.seconds(rows: updates, batchSize: batchSize, into: raw, deferringSync: true) { connection in
            let select = try connection.cachedStatement("SELECT rowid, state FROM raw WHERE collection = ? AND record_id = ?")
            let update = try connection.cachedStatement("UPDATE raw SET state = ? WHERE rowid = ?")
            return { row in
                try select.bind(row.collection, at: 1)
                try select.bind(row.recordID, at: 2)
                guard let (id, state) = try select.firstRow(nil, { ($0.int64(at: 0), $0.blob(at: 1)) }), !state.isEmpty else {
                    throw BenchFailure("the raw loop found no stored row for \(row.recordID)")
                }
                try update.bind(row.state, at: 1)
                try update.bind(id, at: 2)
                try update.execute()
            }
        }
    }
}
