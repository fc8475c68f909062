import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncCrypto
import RehabSyncStorage
import Synchronization

extension Replica {
    /// What a sync did.
    public struct SyncReport: Sendable, Hashable {
        public let pushed: Int
        public let pulled: Int
        public let conflicts: Int
        public let cursor: Int64
        public let digestMatches: Bool
        /// Writes the server refused in this sync, set aside with its reason.
        public var setAside: [SetAsideWrite] = []
        /// Records removed because they left the device's scope.
        public var removed: Int = 0

        public var json: JSONValue {
            .object(["pushed": .integer(Int64(pushed)), "pulled": .integer(Int64(pulled)), "conflicts": .integer(Int64(conflicts)),
                     "cursor": .integer(cursor), "digestMatches": .bool(digestMatches),
                     "setAside": .array(setAside.map(\.json)), "removed": .integer(Int64(removed))])
        }
    }

    /// Greets the server, pushes pending records in bounded batches, pulls pages until none
    /// remains, then compares digests. Safe to interrupt at any point: a record leaves the
    /// pending set only when a push of its current state is acknowledged or it is set
    /// aside, and the cursor moves only in the transaction that joins its page.
    ///
    /// A write the server refuses does not stop the sync: it is set aside with the
    /// server's reason (``setAsideWrites()``), the record goes back to the server's copy,
    /// and everything else is pushed and pulled.
    ///
    /// - Parameter progress: Called on the syncing thread when each phase begins, after
    ///   each acknowledged push batch and after each stored pull page; keep it short.
    public func sync(progress: (@Sendable (SyncProgress) -> Void)? = nil) throws -> SyncReport {
        let lock = try ReplicaSyncLock(databasePath: path)
        defer { withExtendedLifetime(lock) {} }
        var setAside: [SetAsideWrite] = []
        var pushed = 0
        var tracker = ProgressTracker(report: progress, pendingAtStart: progress == nil ? 0 : try pendingCount(),
                                      cursor: try settings().cursor)
        tracker.send()
        var transport = try makeTransport()
        // A change of identity (this file turned out to be an old copy) gives it a new
        // instance id, so the exchange starts again with it; twice at most.
        var restarts = 0
        while true {
            do {
                try greet(transport)
                pushed += try push(transport, setAside: &setAside, tracker: &tracker)
                break
            } catch is IdentityChanged where restarts < 2 {
                restarts += 1
                transport = try makeTransport()
            }
        }
        try pushAccessLog(transport)
        let (pulled, removed, cursor) = try pull(transport, from: try settings().cursor, tracker: &tracker)
        let matches = try digestMatches(transport)
        let time = now()
        try store.database.write { connection in
            let update = try connection.cachedStatement("UPDATE sync_settings SET last_sync_at = ?, last_digest_match = ? WHERE singleton = 1")
            try update.bind(time, at: 1)
            try update.bind(Int64(matches ? 1 : 0), at: 2)
            try update.execute()
        }
        var report = SyncReport(pushed: pushed, pulled: pulled, conflicts: try conflicts().count, cursor: cursor, digestMatches: matches)
        report.setAside = setAside
        report.removed = removed
        return report
    }

    /// Thrown inside a sync when the replica took a new identity and instance.
    private struct IdentityChanged: Error {}

    func makeTransport() throws -> SyncTransport {
        let settings = try settings()
        return SyncTransport(server: settings.server, token: settings.token, clinician: try clinician(nil),
                             instance: try instance(), client: CurlHTTPClient(options: clientOptions), retry: retry)
    }

    /// This file's instance id; a file made before instances existed gets one now.
    private func instance() throws -> String {
        if let instance = try settings().instance { return instance }
        let fresh = ReplicaID.random().description
        try store.database.write { connection in
            let update = try connection.cachedStatement("UPDATE sync_settings SET instance = coalesce(instance, ?) WHERE singleton = 1")
            try update.bind(fresh, at: 1)
            try update.execute()
        }
        return try settings().instance ?? fresh
    }

    // MARK: - Identity

    /// What the server says of this replica before anything is exchanged.
    struct ServerIdentity: Sendable {
        let replicaID: ReplicaID
        let counter: Int64
        let serverTime: Int64?
        let maximumDrift: Int64?
    }

    static func hello(_ transport: SyncTransport, instance: String, replace: Bool) throws -> ServerIdentity {
        let body = JSONValue.object(["instance": .string(instance), "replace": .bool(replace)]).canonicalBytes
        return try identity(from: transport.send("POST", "/v1/sync/hello", body: body))
    }

    private static func identity(from body: [UInt8]) throws -> ServerIdentity {
        guard let object = (try? JSONParser.parse(body))?.objectValue, let text = object["replicaId"]?.stringValue,
            let replica = ReplicaID(text), let counter = object["counter"]?.integerValue
        else { throw ReplicaError.unreachable("the server's answer about this replica's identity is malformed") }
        return ServerIdentity(replicaID: replica, counter: counter, serverTime: object["serverTime"]?.integerValue,
                              maximumDrift: object["maximumClockDriftMilliseconds"]?.integerValue)
    }

    /// Learns from the server which replica id to write as, the highest counter it holds
    /// from it and its time. A file whose sent writes fall short of that counter is an
    /// old copy (restored from a backup): if it has written since, those writes may carry
    /// counters the server already holds, so they move to a fresh replica id first.
    private func greet(_ transport: SyncTransport) throws {
        let settings = try settings()
        let identity: ServerIdentity
        do {
            identity = try Self.hello(transport, instance: try instance(), replace: false)
        } catch let error as ReplicaError where error.code == "token_in_use" {
            // A rotation asked for a new instance and the server took it, but the local
            // half did not commit: finish it with that instance.
            guard let pending = settings.pendingInstance else { throw error }
            let retried = SyncTransport(server: settings.server, token: settings.token, clinician: transport.clinician,
                                        instance: pending, client: transport.client, retry: transport.retry)
            let moved = try Self.hello(retried, instance: pending, replace: false)
            try reidentify(as: moved, after: settings.ackMark, instance: pending)
            throw IdentityChanged()
        }
        try remember(serverTime: identity.serverTime, drift: identity.maximumDrift)
        let local = try store.read { try $0.clockState() }
        if identity.replicaID != local.replicaID {
            // The server moved this device to another id (a rotation whose local half did
            // not commit): move the unsent writes there.
            try reidentify(as: identity, after: settings.ackMark, instance: nil)
        } else if identity.counter > settings.sentMark {
            if local.counter > settings.ackMark {
                try rotate(transport)
            } else {
                try store.write { transaction, connection in
                    transaction.reidentify(as: local.replicaID, counter: max(local.counter, identity.counter))
                    try Self.setMarks(sent: identity.counter, acknowledged: identity.counter, connection: connection)
                }
            }
        }
    }

    /// Takes a fresh replica id and a fresh instance id from the server and moves the
    /// writes the server has not acknowledged to them. The new instance makes any other
    /// copy of this file a stranger to the token, so it cannot go on writing as the old
    /// id beside this one.
    private func rotate(_ transport: SyncTransport) throws -> Never {
        let fresh = ReplicaID.random().description
        try store.database.write { connection in
            let update = try connection.cachedStatement("UPDATE sync_settings SET pending_instance = ? WHERE singleton = 1")
            try update.bind(fresh, at: 1)
            try update.execute()
        }
        let body = JSONValue.object(["instance": .string(fresh)]).canonicalBytes
        let identity = try Self.identity(from: transport.send("POST", "/v1/sync/rotate", body: body))
        try reidentify(as: identity, after: try settings().ackMark, instance: fresh)
        throw IdentityChanged()
    }

    /// Moves the writes of this file the server has not acknowledged (counters after
    /// `mark`) to `identity`'s replica id, in one transaction with the new identity (and
    /// instance), and marks them pending.
    private func reidentify(as identity: ServerIdentity, after mark: Int64, instance: String?) throws {
        try store.write { transaction, connection in
            let old = transaction.replicaID
            let pending = try connection.cachedStatement("SELECT collection, record_id FROM pending ORDER BY seq").rows(nil) { row in
                RecordKey(collection: try row.requireText(at: 0), recordID: try row.requireText(at: 1))
            }
            var counter = identity.counter
            for key in pending {
                guard let record = try transaction.queries.record(key),
                    let moved = try record.state().reassigningWrites(of: old, after: mark, to: identity.replicaID, counter: &counter)
                else { continue }
                try transaction.replace(key, with: moved)
                if let stored = try transaction.queries.record(key) { try Self.markPending(stored, connection: connection) }
            }
            transaction.reidentify(as: identity.replicaID, counter: counter)
            try Self.setMarks(sent: identity.counter, acknowledged: identity.counter, connection: connection)
            if let instance {
                let update = try connection.cachedStatement("UPDATE sync_settings SET instance = ?, pending_instance = NULL WHERE singleton = 1")
                try update.bind(instance, at: 1)
                try update.execute()
            }
        }
    }

    private static func setMarks(sent: Int64, acknowledged: Int64, connection: Connection) throws {
        let update = try connection.cachedStatement("UPDATE sync_settings SET sent_mark = ?, ack_mark = ? WHERE singleton = 1")
        try update.bind(sent, at: 1)
        try update.bind(acknowledged, at: 2)
        try update.execute()
    }

    /// Marks a record to be pushed at its current sequence (a local write, or a set-aside
    /// write the server's copy has replaced).
    static func markPending(_ record: StoredRecord, connection: Connection) throws {
        let mark = try connection.cachedStatement(
            "INSERT INTO pending (collection, record_id, seq) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET seq = excluded.seq")
        try mark.bind(record.collection, at: 1)
        try mark.bind(record.recordID, at: 2)
        try mark.bind(record.sequence, at: 3)
        try mark.execute()
    }

    private func remember(serverTime: Int64?, drift: Int64?) throws {
        guard let serverTime, let drift else { return }
        try store.database.write { connection in
            let update = try connection.cachedStatement("UPDATE sync_settings SET server_time = ?, clock_drift = ? WHERE singleton = 1")
            try update.bind(serverTime, at: 1)
            try update.bind(drift, at: 2)
            try update.execute()
        }
    }

    // MARK: - Push

    struct PendingRecord: Sendable {
        let collection: String
        let recordID: String
        let sequence: Int64
        let state: [UInt8]

        var key: RecordKey { RecordKey(collection: collection, recordID: recordID) }

        /// At least the bytes this record takes in a push body: its state and the envelope
        /// around it (`{"collection":…,"id":…,"state":…},`, with room for escapes).
        var pushedBytes: Int { state.count + collection.utf8.count + recordID.utf8.count + 64 }
    }

    /// The bytes of a push body around its records: `{"records":[` and `]}`.
    static let pushBodyFraming = 16

    private func push(_ transport: SyncTransport, setAside: inout [SetAsideWrite], tracker: inout ProgressTracker) throws -> Int {
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
            guard !fresh.isEmpty else { return pushed }
            // A batch stays below the server's body limit; a record that alone exceeds
            // it can never be sent, and is set aside rather than block the rest.
            let limit = paging.pushBatchBytes
            for record in fresh where Self.pushBodyFraming + record.pushedBytes > limit {
                setAside.append(try setAsideWrite(record.key, transport, refusal: ReplicaError.refused(
                    status: 413, code: "record_too_large",
                    message: "the record's state is \(record.state.count) bytes, more than a push may carry (\(limit))",
                    field: nil)))
            }
            fresh.removeAll { Self.pushBodyFraming + $0.pushedBytes > limit }
            var queue = Self.splitByBytes(fresh, limit: limit)
            while !queue.isEmpty {
                var part = queue.removeFirst()
                do {
                    try send(part, transport)
                    pushed += part.count
                    tracker.pushed(part.count)
                } catch let error as ReplicaError {
                    switch (error.status, error.code) {
                    case (409, "replica_behind"):
                        try rotate(transport)
                    case (409, "writer_changed"):
                        throw IdentityChanged()
                    case (413, _) where part.count > 1:
                        let half = part.count / 2
                        queue.insert(contentsOf: [Array(part[..<half]), Array(part[half...])], at: 0)
                    case (400..<500, _) where ![401, 408, 409, 429].contains(error.status):
                        // A batch is refused whole, naming the record; set that one aside
                        // and send the rest.
                        // Only a refusal that names its record, or a lone record too large for
                        // the body limit; a proxy's 403 or 404 names none and sets nothing aside.
                        let index = Self.recordIndex(in: error.field) ?? (part.count == 1 && error.status == 413 ? 0 : nil)
                        guard let index, part.indices.contains(index) else { throw error }
                        setAside.append(try setAsideWrite(part[index].key, transport, refusal: error))
                        part.remove(at: index)
                        if !part.isEmpty { queue.insert(part, at: 0) }
                    default:
                        throw error
                    }
                }
            }
        }
    }

    /// Consecutive runs of records whose push bodies stay within `limit` bytes.
    static func splitByBytes(_ records: [PendingRecord], limit: Int) -> [[PendingRecord]] {
        var parts: [[PendingRecord]] = []
        var current: [PendingRecord] = []
        var size = pushBodyFraming
        for record in records {
            if !current.isEmpty, size + record.pushedBytes > limit {
                parts.append(current)
                current = []
                size = pushBodyFraming
            }
            current.append(record)
            size += record.pushedBytes
        }
        if !current.isEmpty { parts.append(current) }
        return parts
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
        // Every counter this file has handed out may be in the batch: record that durably
        // before sending. The header says how far this file had sent before this batch:
        // the server holds nothing of this file beyond that, so if it holds more of this
        // replica id, this file is an old copy.
        let (before, raised) = try store.write { transaction, connection -> (Int64, Int64) in
            let counter = try transaction.queries.clockState().counter
            let current = try connection.cachedStatement("SELECT sent_mark FROM sync_settings WHERE singleton = 1")
                .firstRow(nil) { $0.int64(at: 0) } ?? 0
            if counter > current {
                let update = try connection.cachedStatement("UPDATE sync_settings SET sent_mark = ? WHERE singleton = 1")
                try update.bind(counter, at: 1)
                try update.execute()
            }
            return (current, max(counter, current))
        }
        _ = try transport.send("POST", "/v1/sync/push", body: writer.bytes, headers: ["X-RehabSync-Sent-Mark": "\(before)"])
        try store.database.write { connection in
            let clear = try connection.cachedStatement("DELETE FROM pending WHERE collection = ? AND record_id = ? AND seq = ?")
            for record in fresh {
                try clear.bind(record.collection, at: 1)
                try clear.bind(record.recordID, at: 2)
                try clear.bind(record.sequence, at: 3)
                try clear.execute()
            }
            // Everything this file had handed out when it sent the batch is now either
            // held by the server or still pending under a counter the server saw.
            let acknowledge = try connection.cachedStatement("UPDATE sync_settings SET ack_mark = max(ack_mark, ?) WHERE singleton = 1")
            try acknowledge.bind(raised, at: 1)
            try acknowledge.execute()
        }
    }

    // MARK: - Pull

    private func pull(_ transport: SyncTransport, from start: Int64,
                      tracker: inout ProgressTracker) throws -> (pulled: Int, removed: Int, cursor: Int64) {
        var cursor = start
        tracker.beginPull(at: cursor)
        var pulled = 0
        var removed = 0
        var pageNumber = 0
        // The next page is fetched and decoded while this one is stored; the cursor still
        // moves only in the transaction that joins its page.
        var prefetcher = PullPrefetcher(transport, from: cursor, pageRecords: paging.pullPageRecords)
        defer { prefetcher.stop() }
        while true {
            pageNumber += 1
            let fetched: PullPrefetcher.Fetched
            if let page = try prefetcher.page(at: cursor) {
                fetched = page
            } else {
                // The fetcher stopped without this page: start it again from here.
                prefetcher.stop()
                prefetcher = PullPrefetcher(transport, from: cursor, pageRecords: paging.pullPageRecords)
                guard let page = try prefetcher.page(at: cursor) else {
                    throw ReplicaError.unreachable("the pull page at cursor \(cursor) could not be fetched")
                }
                fetched = page
            }
            let page = fetched.page
            let (records, next, hasMore) = (page.records, page.nextCursor, page.hasMore)
            let time = now()
            let gone = page.removed
            // A page commits without waiting for the disk (synchronous=NORMAL for this one
            // transaction), because it can be fetched again: the server holds all of it,
            // and the cursor commits in the same transaction, so a power loss takes back
            // page and cursor together and the next sync asks for the page again. Whatever
            // commits after it in FULL (a local write, a sent mark, an acknowledgement)
            // syncs the WAL up to and including this page, so nothing that saw the page can
            // outlive it. Removals ride along: a removed record comes back with the cursor
            // and is removed again by the repeated page.
            removed += try store.write(deferringSync: true) { transaction, connection -> Int in
                _ = try transaction.merge(received: records)
                let count = try Self.remove(gone, at: time, transaction: &transaction, connection: connection)
                let update = try connection.cachedStatement("UPDATE sync_settings SET cursor = ? WHERE singleton = 1")
                try update.bind(next, at: 1)
                try update.execute()
                try paging.pageStoring?(pageNumber, next)
                return count
            }
            pulled += records.count
            cursor = next
            tracker.pulled(records.count, cursor: cursor, latestSequence: hasMore ? fetched.latestSequence : cursor)
            if !hasMore { return (pulled, removed, cursor) }
        }
    }

    /// Lets go of records that left the device's scope, keeping what they held (a pending
    /// edit included) in `removed_records`, with the reason.
    private static func remove(_ keys: [RecordKey], at time: Int64, transaction: inout RecordTransaction,
                               connection: Connection) throws -> Int {
        var count = 0
        for key in keys {
            guard let record = try transaction.queries.record(key) else { continue }
            let pending = try connection.cachedStatement("DELETE FROM pending WHERE collection = ? AND record_id = ?")
            try pending.bind(key.collection, at: 1)
            try pending.bind(key.recordID, at: 2)
            try pending.execute()
            let hadPending = connection.changes > 0
            let note = try connection.cachedStatement("""
                INSERT INTO removed_records (collection, record_id, patient, state, had_pending, reason, at)
                VALUES (?, ?, ?, ?, ?, 'no_longer_visible', ?)
                """)
            try note.bind(key.collection, at: 1)
            try note.bind(key.recordID, at: 2)
            if let patient = record.patient { try note.bind(patient, at: 3) } else { try note.bindNull(at: 3) }
            try note.bind(record.stateBytes, at: 4)
            try note.bind(Int64(hadPending ? 1 : 0), at: 5)
            try note.bind(time, at: 6)
            try note.execute()
            if hadPending {
                // An edit the server never got: shown with the set-aside writes, so that
                // the clinician sees it went nowhere.
                let values = refusedValues(in: try record.state(), writtenBy: transaction.replicaID, notIn: nil)
                _ = try insert(SetAsideWrite(id: 0, collection: key.collection, recordID: key.recordID, patient: record.patient,
                                             values: values, status: 403, code: "no_longer_visible",
                                             message: "the record left this device's care units before this edit reached the server",
                                             field: nil, atMilliseconds: time), state: record.stateBytes, connection: connection)
            }
            try transaction.replace(key, with: nil)
            count += 1
        }
        return count
    }

    /// Compares this file's digest with the server's. Both hash every record, so this
    /// file hashes its own on another thread while the server computes its answer; the
    /// read sees the file as the pull left it, since nothing else writes during a sync
    /// but the clinician, whose write would make the digests differ either way.
    private func digestMatches(_ transport: SyncTransport) throws -> Bool {
        let local = Mutex<Result<String, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            local.withLock { $0 = Result { try self.dumpDigest() } }
            done.signal()
        }
        // The hashing thread ends before this returns or throws: nothing outlives the sync.
        defer { done.wait() }
        let answer = try transport.send("GET", "/v1/sync/digest")
        let object = (try? JSONParser.parse(answer))?.objectValue
        try remember(serverTime: object?["serverTime"]?.integerValue, drift: object?["maximumClockDriftMilliseconds"]?.integerValue)
        done.wait()
        done.signal()
        // Safe because the hashing thread stored its result before it signalled.
        let digest = try local.withLock { $0 }!.get()
        return object?["digest"]?.stringValue == digest
    }
}

/// Counts what a sync has done and hands each change to the caller's progress callback.
private struct ProgressTracker {
    let report: (@Sendable (SyncProgress) -> Void)?
    var state: SyncProgress

    init(report: (@Sendable (SyncProgress) -> Void)?, pendingAtStart: Int, cursor: Int64) {
        self.report = report
        state = SyncProgress(phase: .push, pushed: 0, pendingAtStart: pendingAtStart, pulled: 0, cursor: cursor, latestSequence: nil)
    }

    func send() {
        report?(state)
    }

    mutating func pushed(_ count: Int) {
        state.pushed += count
        send()
    }

    mutating func beginPull(at cursor: Int64) {
        state.phase = .pull
        state.cursor = cursor
        send()
    }

    /// A stored page. The last page says nothing remains, whatever the header said: its
    /// cursor is where the device's changes end.
    mutating func pulled(_ count: Int, cursor: Int64, latestSequence: Int64?) {
        state.pulled += count
        state.cursor = cursor
        if let latestSequence { state.latestSequence = latestSequence }
        send()
    }
}
