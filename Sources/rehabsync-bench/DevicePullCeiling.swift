import Foundation
import RehabSyncReplica
import RehabSyncStorage

/// The yardsticks of `device-pull`, which tell whether its goal can be reached on the
/// machine at all: what the server alone delivers to a client that only reads the bytes,
/// and what the plainest loop takes to store the rows the replica stored.
enum DevicePullCeiling {
    /// One record as the device's file stored it, with the units its placement gave it.
    struct StoredRow: Sendable {
        let collection: String
        let recordID: String
        let patient: String?
        let state: [UInt8]
        let sequence: Int64
        let inConflict: Bool
        let units: [String]
    }

    /// Every record of the replica file at `path`, in the order the replica stored them.
    static func rows(ofReplicaAt path: String) throws -> [StoredRow] {
        let pool = try DatabasePool(path: path, configuration: Replica.storeConfiguration, migrator: Migrator(Replica.fileMigrations))
        return try pool.read { connection in
            var units: [Int64: [String]] = [:]
            let placed = try connection.prepare("SELECT record, unit FROM record_units ORDER BY record, unit")
                .rows { (record: $0.int64(at: 0), unit: try $0.requireText(at: 1)) }
            for (record, unit) in placed { units[record, default: []].append(unit) }
            return try connection.prepare("SELECT id, collection, record_id, patient, state, seq, in_conflict FROM records ORDER BY seq")
                .rows { row in
                    StoredRow(collection: try row.requireText(at: 1), recordID: try row.requireText(at: 2), patient: row.text(at: 3),
                              state: row.blob(at: 4), sequence: row.int64(at: 5), inConflict: row.int64(at: 6) != 0,
                              units: units[row.int64(at: 0)] ?? [])
                }
        }
    }

    /// Seconds the plainest prepared-statement loop takes to store `rows` into a new file
    /// at `path` built by `migrations` under a device's pragmas (``Replica/storeConfiguration``,
    /// background checkpointer included): each row into `records` and its units into
    /// `record_units`, one transaction per `pageRecords` rows committed with
    /// `synchronous=NORMAL`, as the replica commits a pulled page. Nothing is decoded,
    /// checked, looked up or hashed.
    static func rawSeconds(rows: [StoredRow], pageRecords: Int, path: String, migrations: [Migration]) throws -> Double {
        let pool = try DatabasePool(path: path, configuration: Replica.storeConfiguration, migrator: Migrator(migrations))
        return try RawInsert.seconds(rows: rows, batchSize: pageRecords, into: pool, deferringSync: true) { connection in
            let record = try connection.cachedStatement(
                "INSERT INTO records (collection, record_id, patient, state, seq, in_conflict) VALUES (?, ?, ?, ?, ?, ?)")
            let unit = try connection.cachedStatement("INSERT INTO record_units (record, unit, seq) VALUES (?, ?, ?)")
            return { row in
                try record.bind(row.collection, at: 1)
                try record.bind(row.recordID, at: 2)
                if let patient = row.patient { try record.bind(patient, at: 3) } else { try record.bindNull(at: 3) }
                try record.bind(row.state, at: 4)
                try record.bind(row.sequence, at: 5)
                try record.bind(Int64(row.inConflict ? 1 : 0), at: 6)
                try record.execute()
                let id = connection.lastInsertRowID
                for name in row.units {
                    try unit.bind(id, at: 1)
                    try unit.bind(name, at: 2)
                    try unit.bind(row.sequence, at: 3)
                    try unit.execute()
                }
            }
        }
    }

    /// What the server alone delivers: `device` fetches every page of its pull, one after
    /// another, reading only each page's cursor, as a client that does nothing else would.
    static func serverOnly(server: LoopbackServer, device: LoopbackServer.Device,
                           pageRecords: Int) throws -> (records: Int, pages: Int, bytes: Int, seconds: Double) {
        var records = 0
        var pages = 0
        var bytes = 0
        let seconds = try measure {
            var cursor: Int64 = 0
            while true {
                let response = try server.client.send(
                    "GET", server.base + "/v1/sync/pull?since=\(cursor)&limit=\(pageRecords)",
                    headers: ["Authorization": "Bearer \(device.token)", "X-Clinician": "SE2321000016-N001"])
                guard response.status == 200 else { throw BenchFailure("pull failed: \(response.status)") }
                guard let header = PullPage.cursor(peekingAt: response.body) else {
                    throw BenchFailure("a page does not begin with its cursor")
                }
                pages += 1
                bytes += response.body.count
                records += Self.recordCount(response.body)
                if !header.hasMore { break }
                cursor = header.nextCursor
            }
        }
        return (records, pages, bytes, seconds)
    }

    /// Seconds the server takes to answer `device`'s digest request: what a replica waits
    /// for after its last page, if its own hashing is done sooner.
    static func serverDigestSeconds(server: LoopbackServer, device: LoopbackServer.Device) throws -> Double {
        try measure {
            let response = try server.client.send("GET", server.base + "/v1/sync/digest",
                                                  headers: ["Authorization": "Bearer \(device.token)", "X-Clinician": "SE2321000016-N001"])
            guard response.status == 200 else { throw BenchFailure("digest failed: \(response.status)") }
        }
    }

    /// The records on a page, counted by their `"collection":` members: a count for the
    /// report, not a check (the replica's run checks every state).
    private static func recordCount(_ body: [UInt8]) -> Int {
        let marker = Array(#"{"collection":"#.utf8)
        var count = 0
        body.withUnsafeBufferPointer { bytes in
            var index = 0
            while index + marker.count <= bytes.count {
                if bytes[index] == marker[0], bytes[index..<(index + marker.count)].elementsEqual(marker) {
                    count += 1
                    index += marker.count
                } else {
                    index += 1
                }
            }
        }
        return count
    }
}
