import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncCrypto
import RehabSyncStorage

extension Replica {
    /// What a sync did.
    public struct SyncReport: Sendable, Hashable {
        public let pushed: Int
        public let pulled: Int
        public let conflicts: Int
        public let cursor: Int64
        public let digestMatches: Bool

        public var json: JSONValue {
            .object(["pushed": .integer(Int64(pushed)), "pulled": .integer(Int64(pulled)), "conflicts": .integer(Int64(conflicts)),
                     "cursor": .integer(cursor), "digestMatches": .bool(digestMatches)])
        }
    }

    /// Pushes pending records in bounded batches, then pulls pages until none remains, then
    /// compares digests with the server. Safe to interrupt at any point: a record leaves the
    /// pending set only when a push of its current state is acknowledged, and the cursor
    /// moves only in the transaction that joins its page.
    public func sync() throws -> SyncReport {
        let settings = try settings()
        let transport = SyncTransport(server: settings.server, token: settings.token, clinician: try clinician(nil),
                                      client: CurlHTTPClient(options: clientOptions), retry: retry)
        var refused: [String: ReplicaError] = [:]
        let pushed = try push(transport, refused: &refused)
        // Pull even when records were refused: the device still needs everyone else's work.
        let (pulled, cursor) = try pull(transport, from: settings.cursor)
        let matches = try digestMatches(transport)
        let time = now()
        try store.database.write { connection in
            let update = try connection.cachedStatement("UPDATE sync_settings SET last_sync_at = ?, last_digest_match = ? WHERE singleton = 1")
            try update.bind(time, at: 1)
            try update.bind(Int64(matches ? 1 : 0), at: 2)
            try update.execute()
        }
        if let (record, error) = refused.sorted(by: { $0.key < $1.key }).first {
            // Surfaced, not retried: the record stays pending, so once the cause is fixed
            // (a corrected value, a reloaded code list) the next sync sends it.
            throw ReplicaError.refused(status: error.status, code: error.code,
                                       message: "\(refused.count) record(s) refused, first \(record): \(error.message); everything else was synced",
                                       field: error.field)
        }
        return SyncReport(pushed: pushed, pulled: pulled, conflicts: try conflicts().count, cursor: cursor, digestMatches: matches)
    }

    private struct PendingRecord: Sendable {
        let collection: String
        let recordID: String
        let sequence: Int64
        let state: [UInt8]
    }

    private func push(_ transport: SyncTransport, refused: inout [String: ReplicaError]) throws -> Int {
        var pushed = 0
        var attempted = Set<String>()
        while true {
            let batch = try store.read { queries in
                try queries.connection.cachedStatement("""
                    SELECT p.collection, p.record_id, p.seq, r.state FROM pending p
                    JOIN records r ON r.collection = p.collection AND r.record_id = p.record_id
                    ORDER BY p.seq LIMIT ?
                    """).rows([.integer(Int64(paging.pushBatchRecords))]) { row in
                    PendingRecord(collection: try row.requireText(at: 0), recordID: try row.requireText(at: 1),
                                  sequence: row.int64(at: 2), state: row.blob(at: 3))
                }
            }
            // A record written again while its batch was in flight comes round once more;
            // stop when a batch holds nothing new, so a busy writer cannot keep sync spinning.
            var fresh = batch.filter { attempted.insert("\($0.collection)/\($0.recordID)@\($0.sequence)").inserted }
                .filter { refused["\($0.collection)/\($0.recordID)"] == nil }
            guard !fresh.isEmpty else { return pushed }
            // A batch is refused whole; set the record it names aside and send the rest.
            while true {
                do {
                    try send(fresh, transport)
                    break
                } catch let error as ReplicaError {
                    guard case .refused(let status, _, _, let field) = error, status != 401,
                        let index = Self.recordIndex(in: field), fresh.indices.contains(index)
                    else { throw error }
                    refused["\(fresh[index].collection)/\(fresh[index].recordID)"] = error
                    fresh.remove(at: index)
                    if fresh.isEmpty { break }
                }
            }
            pushed += fresh.count
        }
    }

    /// The batch index in an error's field, such as 3 in `records[3].state.fields.title`.
    static func recordIndex(in field: String?) -> Int? {
        guard let field, field.hasPrefix("records["), let close = field.firstIndex(of: "]") else { return nil }
        return Int(field[field.index(field.startIndex, offsetBy: 8)..<close])
    }

    private func send(_ fresh: [PendingRecord], _ transport: SyncTransport) throws {
        var writer = CanonicalWriter(capacity: fresh.reduce(64) { $0 + $1.state.count + 96 })
        writer.append(#"{"records":["#)
        for (offset, record) in fresh.enumerated() {
            if offset > 0 { writer.append(UInt8(ascii: ",")) }
            RecordEnvelope.write(collection: record.collection, id: record.recordID, state: record.state, to: &writer)
        }
        writer.append("]}")
        _ = try transport.send("POST", "/v1/sync/push", body: writer.bytes)
        try store.database.write { connection in
            let clear = try connection.cachedStatement("DELETE FROM pending WHERE collection = ? AND record_id = ? AND seq = ?")
            for record in fresh {
                try clear.bind(record.collection, at: 1)
                try clear.bind(record.recordID, at: 2)
                try clear.bind(record.sequence, at: 3)
                try clear.execute()
            }
        }
    }

    private func pull(_ transport: SyncTransport, from start: Int64) throws -> (Int, Int64) {
        var cursor = start
        var pulled = 0
        var pageNumber = 0
        while true {
            pageNumber += 1
            let body = try transport.send("GET", "/v1/sync/pull?since=\(cursor)&limit=\(paging.pullPageRecords)")
            let page: PullPage
            do {
                page = try PullPage(decoding: body, cursor: cursor)
            } catch {
                throw ReplicaError.unreachable("the server sent a malformed pull page: \(error)")
            }
            let (records, next, hasMore) = (page.records, page.nextCursor, page.hasMore)
            let cursorAfter = next
            try store.write { transaction, connection in
                _ = try transaction.merge(records)
                let update = try connection.cachedStatement("UPDATE sync_settings SET cursor = ? WHERE singleton = 1")
                try update.bind(cursorAfter, at: 1)
                try update.execute()
                try paging.pageStoring?(pageNumber, cursorAfter)
            }
            pulled += records.count
            cursor = cursorAfter
            if !hasMore { return (pulled, cursor) }
        }
    }

    private func digestMatches(_ transport: SyncTransport) throws -> Bool {
        let answer = try transport.send("GET", "/v1/sync/digest")
        let remote = (try? JSONParser.parse(answer))?.objectValue?["digest"]?.stringValue
        return remote == (try dumpDigest())
    }
}
