import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncDomain
import RehabSyncStorage

/// A device's offline replica: a SQLite file in WAL mode holding the record states of the
/// device's care units, the replica's counter and clock, the pull cursor and the records
/// waiting to be pushed. Works with no network; ``sync()`` exchanges with the server.
///
/// Every write is validated against the domain and durable before the call returns.
public final class Replica: Sendable {
    public let store: RecordStore
    /// The replica's SQLite file.
    public let path: String
    public let reference: ReferenceData
    let clientOptions: HTTPClientOptions
    let retry: RetryPolicy
    let now: @Sendable () -> Int64
    /// Batch and page sizes of ``sync()``.
    public let paging: SyncPaging

    /// Records pushed per request.
    public static let pushBatchSize = 500
    /// Records asked for per pull page: the server's largest. Each page is one commit
    /// (one sync of the WAL) and one round trip, so a first sync of many records spends
    /// less of its time waiting; a page of 5,000 is a few megabytes, and at most three are
    /// held at once (one fetched ahead, one arriving, one being stored).
    public static let pullPageSize = 5_000
    /// Bytes a push body may carry by default: half the server's default body limit.
    public static let defaultPushBatchBytes = 4 * 1_048_576

    /// Opens an initialised replica.
    public init(path: String, reference: ReferenceData, clientOptions: HTTPClientOptions = HTTPClientOptions(),
                retry: RetryPolicy = RetryPolicy(),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) },
                paging: SyncPaging = SyncPaging()) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReplicaError.notInitialised("\(path) does not exist; run 'rehabsync replica init' first")
        }
        store = try Self.openStore(path: path, replicaID: nil)
        self.path = path
        self.reference = reference
        self.clientOptions = clientOptions
        self.retry = retry
        self.now = now
        self.paging = paging
        _ = try settings()
    }

    /// Creates a replica for a device enrolled on `server`.
    ///
    /// Unless `offline`, it first asks the server (checking the server and the token
    /// before anything is written) which replica id to write as and the highest counter
    /// the server holds from it, so that the new file never hands out a dot the server
    /// already has; the server binds the token to this new file. A token already bound to
    /// another replica file is refused unless `replace` is given (the old laptop is gone,
    /// or the file is created again); the new file then writes under a fresh replica id.
    @discardableResult
    public static func create(path: String, server: String, token: String, clinician: String?, offline: Bool = false,
                              replace: Bool = false, clientOptions: HTTPClientOptions = HTTPClientOptions(),
                              retry: RetryPolicy = RetryPolicy()) throws -> ReplicaID {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ReplicaError.invalid(code: "exists", message: "\(path) already exists; a replica is initialised once", field: "db")
        }
        let parts = token.split(separator: ".")
        guard parts.count == 3, parts[0] == "rs1", let enrolment = ReplicaID(parts[1]) else {
            throw ReplicaError.invalid(code: "invalid_token", message: "expected the token printed at enrolment (rs1.<replicaId>.<secret>)", field: "token")
        }
        if let clinician {
            do { _ = try HSAID(clinician) } catch { throw ReplicaError.invalid(code: error.rule, message: error.message, field: "clinician") }
        }
        guard let url = URL(string: server), ["http", "https"].contains(url.scheme ?? "") else {
            throw ReplicaError.invalid(code: "invalid_server", message: "the server is an http or https URL", field: "server")
        }
        let base = server.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let instance = ReplicaID.random().description
        var identity = ServerIdentity(replicaID: enrolment, counter: 0, serverTime: nil, maximumDrift: nil)
        if !offline {
            let transport = SyncTransport(server: base, token: token, clinician: clinician, instance: instance,
                                          client: CurlHTTPClient(options: clientOptions), retry: retry)
            identity = try hello(transport, instance: instance, replace: replace)
        }
        let store = try openStore(path: path, replicaID: identity.replicaID)
        try store.write { transaction, connection in
            transaction.reidentify(as: identity.replicaID, counter: identity.counter)
            let insert = try connection.prepare("""
                INSERT INTO sync_settings (singleton, server, token, clinician, instance, sent_mark, server_time, clock_drift, ack_mark)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?5)
                """)
            try insert.bind(base, at: 1)
            try insert.bind(token, at: 2)
            if let clinician { try insert.bind(clinician, at: 3) } else { try insert.bindNull(at: 3) }
            try insert.bind(instance, at: 4)
            try insert.bind(identity.counter, at: 5)
            if let time = identity.serverTime { try insert.bind(time, at: 6) } else { try insert.bindNull(at: 6) }
            if let drift = identity.maximumDrift { try insert.bind(drift, at: 7) } else { try insert.bindNull(at: 7) }
            try insert.execute()
        }
        return store.replicaID
    }

    /// The newest replica schema version this build knows; a file at a newer one was written
    /// by a newer RehabSync and is refused before it is opened.
    public static var schemaVersion: Int32 {
        max(RecordStore.migrator.newestVersion, ReplicaSchema.all.map(\.version).max() ?? 0)
    }

    /// Every migration of a replica's file, the record schema's first: what a tool needs
    /// to build a file laid out exactly as a device's (the benchmark's yardstick does).
    public static var fileMigrations: [Migration] { RecordStore.migrator.migrations + ReplicaSchema.all }

    /// Opens (creating if need be) a record store exactly as a device's replica opens its
    /// file: the device's layout, placement rule and database settings. For tools that
    /// must measure or inspect what a device does (the `merge-join` benchmark); a clinic's
    /// program opens a ``Replica``, which also keeps the sync settings and access log.
    public static func openStore(path: String, replicaID: ReplicaID? = nil) throws -> RecordStore {
        try RecordStore(path: path, replicaID: replicaID, placement: { collection, state in
            RecordPlacement(patient: DomainPlacement.patient(of: state), careUnits: DomainPlacement.careUnits(collection: collection, state: state))
        }, placementReads: DomainPlacement.fieldsRead, configuration: storeConfiguration, extraMigrations: ReplicaSchema.all)
    }

    /// A device's database settings: the server's, with smaller caches and no memory map
    /// for readers. A device runs one sync at a time beside the clinic's other programs;
    /// a map of the file would count every page a digest reads into the process's memory.
    public static let storeConfiguration = DatabaseConfiguration(writerCacheKibibytes: 16_384, readerCacheKibibytes: 4_096,
                                                                 readerMmapBytes: 0)

    /// What `sync_settings` holds.
    public struct Settings: Sendable {
        public let server: String
        public let token: String
        public let clinician: String?
        public let cursor: Int64
        public let lastSyncAt: Int64?
        public let lastDigestMatch: Bool?
        /// This file's instance id; nil for a file made before instances existed.
        public let instance: String?
        /// The highest counter this file has ever sent to the server.
        public let sentMark: Int64
        /// The counter this file had handed out when it last sent a batch the server
        /// acknowledged.
        public let ackMark: Int64
        /// An instance id asked for in a rotation that has not committed here yet.
        public let pendingInstance: String?
        /// The last server time seen, and the clock drift the server allows.
        public let serverTime: Int64?
        public let maximumClockDrift: Int64?

        /// The latest reading the replica's clock may take: the server refuses writes
        /// stamped later than its own time plus the drift it allows.
        public var clockCeiling: Int64? {
            guard let serverTime, let maximumClockDrift else { return nil }
            return serverTime + maximumClockDrift
        }
    }

    public func settings() throws -> Settings {
        let settings = try store.read { queries in
            try queries.connection.cachedStatement(
                """
                SELECT server, token, clinician, cursor, last_sync_at, last_digest_match, instance, sent_mark, server_time, clock_drift,
                    ack_mark, pending_instance
                FROM sync_settings WHERE singleton = 1
                """)
                .firstRow(nil) { row in
                    Settings(server: try row.requireText(at: 0), token: try row.requireText(at: 1), clinician: row.text(at: 2),
                             cursor: row.int64(at: 3), lastSyncAt: row.isNull(at: 4) ? nil : row.int64(at: 4),
                             lastDigestMatch: row.isNull(at: 5) ? nil : row.int64(at: 5) == 1,
                             instance: row.text(at: 6), sentMark: row.int64(at: 7), ackMark: row.int64(at: 10),
                             pendingInstance: row.text(at: 11),
                             serverTime: row.isNull(at: 8) ? nil : row.int64(at: 8), maximumClockDrift: row.isNull(at: 9) ? nil : row.int64(at: 9))
                }
        }
        guard let settings else { throw ReplicaError.notInitialised("the database has no sync settings") }
        return settings
    }

    /// Changes the replica's settings: the server's address, its token, or the clinician
    /// using the device. Each is checked as at init; nothing changes if one is wrong. A token
    /// must belong to the same enrolment (the replica id inside it), since this file's
    /// writes and bookkeeping belong to it.
    @discardableResult
    public func updateSettings(server: String?, token: String?, clinician: String?) throws -> Settings {
        if let server {
            guard let url = URL(string: server), ["http", "https"].contains(url.scheme ?? "") else {
                throw ReplicaError.invalid(code: "invalid_server", message: "the server is an http or https URL", field: "server")
            }
        }
        if let clinician {
            do { _ = try HSAID(clinician) } catch { throw ReplicaError.invalid(code: error.rule, message: error.message, field: "clinician") }
        }
        if let token {
            let current = try settings().token.split(separator: ".")
            let parts = token.split(separator: ".")
            guard parts.count == 3, parts[0] == "rs1", ReplicaID(parts[1]) != nil else {
                throw ReplicaError.invalid(code: "invalid_token", message: "expected the token printed at enrolment (rs1.<replicaId>.<secret>)", field: "token")
            }
            guard current.count == 3, current[1] == parts[1] else {
                throw ReplicaError.invalid(code: "other_enrolment",
                                           message: "this token belongs to another enrolment; create a new replica for it with 'replica init'", field: "token")
            }
        }
        try store.database.write { connection in
            let update = try connection.cachedStatement("""
                UPDATE sync_settings SET server = coalesce(?, server), token = coalesce(?, token), clinician = coalesce(?, clinician)
                WHERE singleton = 1
                """)
            if let server { try update.bind(server.trimmingCharacters(in: CharacterSet(charactersIn: "/")), at: 1) } else { try update.bindNull(at: 1) }
            if let token { try update.bind(token, at: 2) } else { try update.bindNull(at: 2) }
            if let clinician { try update.bind(clinician, at: 3) } else { try update.bindNull(at: 3) }
            try update.execute()
        }
        return try settings()
    }

    /// The validator for today.
    func validator() -> RecordValidator {
        RecordValidator(reference: reference.onSwedishDate(of: now()))
    }

    /// The clinician a write or read is made by: the one given, or the replica's default.
    func clinician(_ given: String?) throws -> String {
        guard let clinician = try given ?? settings().clinician else {
            throw ReplicaError.invalid(code: "missing_author", message: "give the clinician's HSA-id (--author, or --clinician at init)", field: "author")
        }
        do { return try HSAID(clinician).value } catch {
            throw ReplicaError.invalid(code: error.rule, message: error.message, field: "author")
        }
    }

    // MARK: - Writes

    /// Sets `values` on a record (creating it when `id` is nil or new) after validating the
    /// result against the domain; the record is then pending push. Durable on return.
    @discardableResult
    public func write(collection: String, id: String? = nil, values: [String: JSONValue], author: String? = nil) throws -> StoredRecord {
        try write(collection: collection, id: id, values: values, author: author, requiring: { _ in })
    }

    /// A write that also requires `requiring` of the record as the write transaction finds it.
    func write(collection: String, id: String?, values: [String: JSONValue], author: String?,
               requiring: (RecordState?) throws -> Void) throws -> StoredRecord {
        let author = try clinician(author)
        let validator = validator()
        let key = RecordKey(collection: collection, recordID: id ?? ReplicaID.random().description)
        let normalized = validator.normalize(collection: collection, values: values)
        let time = now()
        let ceiling = try settings().clockCeiling
        do {
            return try store.write { transaction, connection in
                let stored = try transaction.write(key, values: normalized, author: author, wallMilliseconds: time,
                                                   clockCeilingMilliseconds: ceiling) { before, after in
                    try requiring(before)
                    try validator.validate(collection: key.collection, recordID: key.recordID, before: before, after: after)
                }
                try Self.markPending(stored, connection: connection)
                return stored
            }
        } catch let error as DomainError {
            throw ReplicaError.invalid(code: error.rule, message: "\(error.collection)/\(error.recordID): \(error.message)", field: error.field)
        } catch let error as CoreError {
            throw ReplicaError.invalid(code: error.code.rawValue, message: error.message, field: error.field)
        }
    }

    /// Resolves a conflict: a write of `value` by someone who has seen every sibling.
    ///
    /// - Parameter seen: The dots of the siblings the clinician was shown. If more have
    ///   arrived since (a pull brought another), the resolution is refused, so that
    ///   nothing is replaced that nobody looked at. Nil takes the siblings held now.
    /// - Throws: ``ReplicaError/invalid(code:message:field:)`` when the field is not in
    ///   conflict (a plain write sets it) or the siblings are not the ones seen.
    @discardableResult
    public func resolve(collection: String, id: String, field: String, value: JSONValue, seen: [Dot]? = nil,
                        author: String? = nil) throws -> StoredRecord {
        // A misspelt field is named as such, not as one without a conflict.
        if let known = CollectionName(rawValue: collection), CollectionSchema.of(known).fields[field] == nil {
            throw ReplicaError.invalid(code: "field.unknown", message: "\(collection) has no field \(field); 'rehabsync schema \(collection)' lists them",
                                       field: "field")
        }
        let check = { (state: RecordState?) throws in
            guard let state else {
                throw ReplicaError.invalid(code: "not_found", message: "no such record on this replica", field: "id")
            }
            guard let current = state[field], current.isInConflict else {
                throw ReplicaError.invalid(code: "not_in_conflict", message: "\(field) is not in conflict; set it with a plain write", field: "field")
            }
            guard let seen else { return }
            let held = Set(current.siblings.map(\.dot))
            guard held == Set(seen) else {
                let unseen = held.subtracting(seen).count
                throw ReplicaError.invalid(
                    code: "siblings_changed",
                    message: "\(field) now holds \(held.count) values, \(unseen) of them not among those shown; review the conflict again and resolve what it holds now",
                    field: "seen")
            }
        }
        // Checked inside the write's own transaction: a pull between a check and the
        // write could otherwise bring a sibling that the resolution would replace unseen.
        return try write(collection: collection, id: id, values: [field: value], author: author, requiring: check)
    }

    // MARK: - Reads

    public func record(collection: String, id: String) throws -> StoredRecord? {
        try store.read { try $0.record(RecordKey(collection: collection, recordID: id)) }
    }

    /// Records sorted by collection and id, optionally of one collection and/or patient.
    public func list(collection: String? = nil, patient given: String? = nil) throws -> [StoredRecord] {
        let patient = try given.map(patientKey)
        let records = try store.read { queries in
            try patient.map { try queries.records(patient: $0, collection: collection) } ?? queries.allRecords()
        }
        return records.filter { collection == nil || $0.collection == collection }
    }

    public func conflicts() throws -> [StoredRecord] {
        try store.read { try $0.conflicts() }
    }

    /// How many records wait to be pushed.
    public func pendingCount() throws -> Int {
        try store.read { try $0.connection.cachedStatement("SELECT count(*) FROM pending").firstRow(nil) { Int($0.int64(at: 0)) } ?? 0 }
    }

    /// Every record state, one canonical line each, sorted by collection and id: the same
    /// format and order as the server's dump.
    public func dump() throws -> [UInt8] {
        let records = try store.read { try $0.allRecords() }
        var writer = CanonicalWriter(capacity: records.reduce(0) { $0 + $1.stateBytes.count + 96 })
        for record in records {
            RecordDumpLine.write(collection: record.collection, id: record.recordID, state: record.stateBytes, to: &writer)
        }
        return writer.bytes
    }
}
