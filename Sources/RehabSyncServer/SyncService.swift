import RehabSyncCore
import RehabSyncCrypto
import RehabSyncDomain
import RehabSyncExport
import RehabSyncStorage
import Dispatch
import Synchronization

/// The sync server's behaviour, without HTTP: push, pull, reads, conflicts, digests, and
/// the administrative calls. The HTTP routes are a thin layer over this, and tests drive
/// it directly as well as over a socket.
///
/// Every call blocks on SQLite; call it from worker threads.
public final class SyncService: Sendable {
    public let store: RecordStore
    /// KVÅ list and questionnaires; validation uses them with the date of the request.
    public let reference: ReferenceData
    public let configuration: SyncServiceConfiguration
    public let metrics = ServerMetrics()
    /// Last-seen times and cursors waiting to be written in a batch.
    let activity = DeviceActivity()
    /// Where due sightings are written when no request is writing anyway.
    private let activityFlushQueue = DispatchQueue(label: "rehabsync.device-activity")
    private let activityFlushPending = Atomic<Bool>(false)
    /// When the database last answered a liveness read (uptime nanoseconds; 0: never).
    private let lastAlive = Atomic<UInt64>(0)
    /// How long a liveness answer stands without asking the database again.
    static let livenessValidity: UInt64 = 1_000_000_000
    /// When readiness last probed the database with a write.
    private let lastProbe = Mutex<ContinuousClock.Instant?>(nil)
    /// Readiness probes the database at most this often while commits succeed.
    static let probeInterval: Duration = .seconds(1)
    let now: @Sendable () -> Int64
    /// The access log, sealed with the key from the audit key file.
    let audit: AuditLog
    /// Pushes that meet at the single writer, stored in one transaction.
    let pushCommits = PushCommitGroup()

    /// Opens (creating if needed) the server's database. The access log's key is read from
    /// `auditKeyPath`, by default `audit-key` beside the database, created on first start.
    public init(databasePath: String, reference: ReferenceData, configuration: SyncServiceConfiguration = .init(),
                database: DatabaseConfiguration = .init(), auditKeyPath: String? = nil,
                now: @escaping @Sendable () -> Int64) throws {
        // The server's own versions (101–119, then 150–) bracket the export's (120–139), so
        // the two lists are merged by version: the migrator needs them strictly increasing.
        let migrations = (ServerSchema.migrations + ExportSchema.migrations).sorted { $0.version < $1.version }
        store = try RecordStore(path: databasePath, placement: Self.placement, configuration: database,
                                extraMigrations: migrations)
        let key = try AuditKey.loadOrCreate(at: auditKeyPath ?? Self.defaultAuditKeyPath(databasePath: databasePath))
        try store.write { _, connection in try AuditLog.bind(key, connection: connection) }
        audit = AuditLog(key: key)
        self.reference = reference
        self.configuration = configuration
        self.now = now
    }

    /// The newest server schema version this build knows: the version the server migrates
    /// its database to, and the one the commands that open it beside the server require.
    public static var schemaVersion: Int32 {
        max(RecordStore.migrator.newestVersion, (ServerSchema.migrations + ExportSchema.migrations).map(\.version).max() ?? 0)
    }

    /// `audit-key` in the directory of the database file.
    public static func defaultAuditKeyPath(databasePath: String) -> String {
        let directory = databasePath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return directory.isEmpty ? "audit-key" : directory + "/audit-key"
    }

    /// The validator for a request at `time`: "today" follows the clock, not the start-up date.
    func validator(at time: Int64) -> RecordValidator {
        RecordValidator(reference: reference.onSwedishDate(of: time))
    }

    /// Where the server files a record: the domain's patient and units.
    static let placement: RecordPlacement.Rule = { collection, state in
        RecordPlacement(patient: DomainPlacement.patient(of: state),
                        careUnits: DomainPlacement.careUnits(collection: collection, state: state))
    }

    // MARK: - Devices

    /// The device a bearer token belongs to; 401 for a missing, unknown or revoked token.
    public func authenticate(bearer token: String?) throws -> Device {
        guard let token, let device = try store.read({ try DeviceRegistry.authenticate(token, connection: $0.connection) }) else {
            throw SyncError.unauthorized
        }
        return device
    }

    /// Liveness: the database answers a read. Records when it did, so that
    /// ``answeredRecently()`` can vouch for it for a second without asking again.
    public func checkLiveness() throws {
        _ = try store.read { try $0.clockState() }
        lastAlive.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    /// Whether the database answered a liveness read within the last second.
    public func answeredRecently() -> Bool {
        let last = lastAlive.load(ordering: .relaxed)
        return last > 0 && DispatchTime.now().uptimeNanoseconds - last < Self.livenessValidity
    }

    /// Why the database cannot commit now, or nil when it can. The storage layer flags a
    /// failed commit (``StorageHealth``); while one is flagged, and at most once per
    /// ``probeInterval`` otherwise, a tiny write probes whether commits work (again).
    public func storageFailure() -> String? {
        let health = store.database.health
        let now = ContinuousClock.now
        let due = health.commitFailure != nil || lastProbe.withLock { last in
            defer { if last.map({ now - $0 >= Self.probeInterval }) ?? true { last = now } }
            return last.map { now - $0 >= Self.probeInterval } ?? true
        }
        if due {
            do { try store.probeCommit() } catch let error as DatabaseError {
                // Whatever the cause (corruption too), the probe did not commit.
                return health.commitFailure?.message ?? error.message
            } catch {
                return "the probe write failed"
            }
        }
        return health.commitFailure?.message
    }

    /// Writes the batched last-seen times and cursors now; at shutdown, so none are lost.
    public func flushDeviceActivity() throws {
        let time = now()
        try store.write { _, connection in try activity.flush(at: time, connection: connection) }
    }

    /// ``flushDeviceActivity()`` on a serial queue of its own, at most one waiting. A
    /// failure loses those sightings, which are administrative only; a storage failure is
    /// recorded in the pool's health as any failed commit is, for `/readyz` and `/metrics`.
    func flushDeviceActivityInBackground() {
        guard !activityFlushPending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        activityFlushQueue.async { [self] in
            activityFlushPending.store(false, ordering: .releasing)
            try? flushDeviceActivity()
        }
    }

    /// Enrols a device for care units; the token is returned once and never stored.
    public func enrol(name: String, units: [String]) throws -> (device: Device, token: String) {
        let trimmed = name.trimmingCharactersInSet()
        guard !trimmed.isEmpty, trimmed.utf8.count <= 200 else {
            throw SyncError.badRequest("invalid_name", "a device name is 1 to 200 bytes", field: "name")
        }
        guard !units.isEmpty else { throw SyncError.badRequest("invalid_units", "enrol a device for at least one care unit", field: "units") }
        for (index, unit) in units.enumerated() {
            do { _ = try HSAID(unit) } catch {
                throw SyncError.badRequest(error.rule, error.message, field: "units[\(index)]")
            }
        }
        let time = now()
        let enrolled = try store.write { _, connection in
            let (device, token) = try DeviceRegistry.enrol(name: trimmed, units: Array(Set(units)), at: time, connection: connection)
            try audit.append(.enrolDevice, device: "admin", subjects: [
                AuditSubject(clinician: nil, units: device.units, patient: nil, collection: nil, recordID: device.replicaID.description),
            ], at: time, connection: connection)
            return EnrolResult(device: device, token: token)
        }
        return (enrolled.device, enrolled.token)
    }

    private struct EnrolResult: Sendable {
        let device: Device
        let token: String
    }

    /// Revokes a device; 404 if there is none with that id.
    public func revoke(_ replicaText: String) throws -> Device {
        guard let replica = ReplicaID(replicaText) else {
            throw SyncError.badRequest("invalid_replica_id", "replica ids are lowercase UUIDs", field: "replicaId")
        }
        let time = now()
        let device = try store.write { _, connection -> Device? in
            guard let device = try DeviceRegistry.revoke(replica, at: time, connection: connection) else { return nil }
            try audit.append(.revokeDevice, device: "admin", subjects: [
                AuditSubject(clinician: nil, units: device.units, patient: nil, collection: nil, recordID: replicaText),
            ], at: time, connection: connection)
            return device
        }
        guard let device else { throw SyncError.notFound("no device with this replica id") }
        return device
    }

    /// Every device with what an administrator watches: last seen, how far its cursor lags
    /// behind the server, and the conflicts waiting in its units.
    public func deviceOverview() throws -> JSONValue {
        try store.read { queries in
            let head = try queries.clockState().sequence
            let devices = activity.overlay(try DeviceRegistry.all(connection: queries.connection))
            return .array(try devices.map { device in
                .object([
                    "replicaId": .string(device.replicaID.description), "name": .string(device.name),
                    "units": .array(device.units.map(JSONValue.string)),
                    "enrolledAt": .integer(device.enrolledAtMilliseconds),
                    "revokedAt": device.revokedAtMilliseconds.map(JSONValue.integer) ?? .null,
                    "lastSeenAt": device.lastSeenMilliseconds.map(JSONValue.integer) ?? .null,
                    "cursor": .integer(device.cursor), "cursorLag": .integer(max(0, head - device.cursor)),
                    "pendingConflicts": .integer(Int64(try queries.conflictCount(units: device.units))),
                ])
            })
        }
    }
}

extension String {
    /// The string without leading and trailing white space (no Foundation in this module).
    func trimmingCharactersInSet() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
