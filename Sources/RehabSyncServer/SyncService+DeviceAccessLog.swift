import RehabSyncCore
import RehabSyncCrypto
import RehabSyncDomain
import RehabSyncStorage

extension SyncService {
    /// The most entries one access-log request may carry; a device sends more in turns.
    public static let maximumAccessLogEntries = 1_000
    /// The most records one reported access may name (a list of a patient's records).
    public static let maximumAccessLogSubjects = 5_000

    /// Logs the reads a device made offline (records opened, a patient's records listed,
    /// conflicts reviewed) into the access log, with the device, the clinician and the time
    /// the device gives, so a patient's extract shows them beside the server's own entries.
    ///
    /// Body: `{"entries":[{"id","at","clinician","action","subjects":[{"collection","record",
    /// "patient","units"}]}]}` with ids increasing. The whole batch is checked before anything
    /// is logged. An entry already logged with the same id and content (a resend after a
    /// lost answer) is skipped; the answer names the last id the device may now forget.
    public func logDeviceAccess(device: Device, body: [UInt8]) throws -> JSONValue {
        let document: JSONValue
        do { document = try JSONParser.parse(body) } catch {
            throw SyncError.badRequest(error.code.rawValue, "request body is not valid JSON: \(error.message)", field: error.field)
        }
        guard let items = document.objectValue?["entries"]?.arrayValue else {
            throw SyncError.badRequest("invalid_access_log", "the body is {\"entries\":[...]}", field: "entries")
        }
        guard items.count <= Self.maximumAccessLogEntries else {
            throw SyncError(status: 413, code: "too_many_entries",
                            message: "send at most \(Self.maximumAccessLogEntries) entries per request", field: "entries")
        }
        var entries: [DeviceAccess] = []
        for (index, item) in items.enumerated() {
            let entry = try DeviceAccess(item, path: "entries[\(index)]")
            if let last = entries.last, entry.id <= last.id {
                throw SyncError.badRequest("entry_order", "entry ids must increase", field: "entries[\(index)].id")
            }
            entries.append(entry)
        }
        let replica = device.replicaID.description
        let logged = try store.write { _, connection -> Int in
            let seen = try connection.cachedStatement(
                "INSERT OR IGNORE INTO device_access_seen (replica_id, entry_id, digest) VALUES (?, ?, ?)")
            var logged = 0
            for entry in entries {
                try seen.bind(replica, at: 1)
                try seen.bind(entry.id, at: 2)
                try seen.bind(entry.digest, at: 3)
                try seen.execute()
                // No row inserted: this very entry was logged by an earlier request.
                guard connection.changes > 0 else { continue }
                try audit.append(entry.action, device: replica, subjects: entry.subjects, at: entry.at, connection: connection)
                logged += 1
            }
            return logged
        }
        return .object(["logged": .integer(Int64(logged)), "through": .integer(entries.last?.id ?? 0)])
    }
}

/// One access a device reports, checked.
private struct DeviceAccess {
    let id: Int64
    let at: Int64
    let action: AuditAction
    let subjects: [AuditSubject]
    /// SHA-256 of the entry as sent, which tells a resend from a new entry with a reused id.
    let digest: String

    /// The actions a device reports, by the name it sends.
    static let actions: [String: AuditAction] = [
        "read": .deviceRead, "list": .deviceList, "conflicts": .deviceConflictReview,
    ]

    init(_ value: JSONValue, path: String) throws {
        func invalid(_ field: String, _ message: String) -> SyncError {
            SyncError.badRequest("invalid_access_log", message, field: "\(path).\(field)")
        }
        guard let members = value.objectValue else { throw SyncError.badRequest("invalid_access_log", "an entry is an object", field: path) }
        guard let id = members["id"]?.wholeNumberValue, id > 0 else { throw invalid("id", "a positive integer") }
        guard let at = members["at"]?.wholeNumberValue, (0...Dot.maximumCounter).contains(at) else {
            throw invalid("at", "milliseconds since the Unix epoch")
        }
        guard let clinician = members["clinician"]?.stringValue, (try? HSAID(clinician)) != nil else {
            throw invalid("clinician", "the HSA-id of the clinician who read")
        }
        guard let name = members["action"]?.stringValue, let action = Self.actions[name] else {
            throw invalid("action", "one of: \(Self.actions.keys.sorted().joined(separator: ", "))")
        }
        guard let items = members["subjects"]?.arrayValue, !items.isEmpty, items.count <= SyncService.maximumAccessLogSubjects else {
            throw invalid("subjects", "1 to \(SyncService.maximumAccessLogSubjects) records")
        }
        var subjects: [AuditSubject] = []
        for (index, item) in items.enumerated() {
            let field = "subjects[\(index)]"
            guard let subject = item.objectValue,
                let collection = subject["collection"]?.stringValue, CollectionName(rawValue: collection) != nil,
                let record = subject["record"]?.stringValue, RecordValidator.isValidRecordID(record),
                let units = subject["units"]?.arrayValue?.compactMap(\.stringValue),
                units.count == subject["units"]?.arrayValue?.count, units.allSatisfy({ (try? HSAID($0)) != nil })
            else { throw invalid(field, "a subject is {\"collection\",\"record\",\"patient\",\"units\"} naming a known collection") }
            let patient = subject["patient"]?.stringValue
            // The stored identifier as the device holds it: a bounded ASCII token, checked for
            // shape only, since a record's identifier was validated when it was written.
            if let patient, patient.isEmpty || patient.utf8.count > 64 || !patient.utf8.allSatisfy({ (33...126).contains($0) }) {
                throw invalid("\(field).patient", "a stored patient identifier")
            }
            subjects.append(AuditSubject(clinician: clinician, units: units, patient: patient, collection: collection, recordID: record))
        }
        self.id = id
        self.at = at
        self.action = action
        self.subjects = subjects
        digest = SHA256Digest.hex(SHA256Digest.hash(value.canonicalBytes))
    }
}
