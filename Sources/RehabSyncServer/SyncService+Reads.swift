import RehabSyncCore
import RehabSyncCrypto
import RehabSyncDomain
import RehabSyncStorage

extension SyncService {
    /// One page of a pull, as the JSON bytes to send: stored states are copied in as they
    /// are, never decoded and encoded again.
    public struct PullPage: Sendable {
        public let records: [StoredRecord]
        public let nextCursor: Int64
        public let hasMore: Bool
        /// Records the device held that it no longer sees (moved out of its units, or a
        /// grant lapsed): the replica removes them, so its digest matches again.
        public var removed: [RecordRemoval] = []
        /// The newest change sequence of the device's units when the page was read, sent
        /// as ``SyncService/latestSequenceHeader`` so that a device can estimate how much
        /// is left to pull.
        public var latestSequence: Int64 = 0

        public var jsonBytes: [UInt8] {
            var writer = CanonicalWriter(capacity: 64 + records.reduce(0) { $0 + $1.stateBytes.count + 96 })
            writer.append(#"{"hasMore":"#)
            writer.append(hasMore ? "true" : "false")
            writer.append(#","nextCursor":"#)
            writer.appendInteger(nextCursor)
            writer.append(#","records":["#)
            for (offset, record) in records.enumerated() {
                if offset > 0 { writer.append(UInt8(ascii: ",")) }
                SyncService.writeRecord(record, to: &writer)
            }
            writer.append(#"],"removed":["#)
            for (offset, removal) in removed.enumerated() {
                if offset > 0 { writer.append(UInt8(ascii: ",")) }
                writer.append(#"{"collection":"#)
                writer.appendString(removal.key.collection)
                writer.append(#","id":"#)
                writer.appendString(removal.key.recordID)
                writer.append(#","reason":"no_longer_visible","sequence":"#)
                writer.appendInteger(removal.sequence)
                writer.append("}")
            }
            writer.append("]}")
            return writer.bytes
        }
    }

    /// A stored record as the API sends it: `{"collection","id","sequence","state"}`, the
    /// state copied in as stored.
    static func writeRecord(_ record: StoredRecord, to writer: inout CanonicalWriter) {
        RecordEnvelope.write(collection: record.collection, id: record.recordID, sequence: record.sequence,
                             state: record.stateBytes, to: &writer)
    }

    /// Records of the device's units changed after `since`, oldest first: at most `limit`
    /// records and at most ``SyncServiceConfiguration/maximumPageBytes`` of state. Every
    /// record delivered is logged with the clinician using the device. A `since` beyond the
    /// server's newest change is refused. An empty page writes nothing to the database.
    ///
    /// - Parameter delivering: False for a HEAD request, which is answered with the page's
    ///   status and headers but not its records: nothing is delivered, so nothing is
    ///   audited, and the device's cursor is not taken to have moved.
    public func pull(device: Device, clinician: String, since: Int64, limit requested: Int?,
                     delivering: Bool = true) throws -> PullPage {
        let clinician = try checkedClinician(clinician)
        guard since >= 0 else { throw SyncError.badRequest("invalid_cursor", "the cursor is a non-negative integer", field: "since") }
        let limit = requested ?? configuration.defaultPageSize
        guard (1...configuration.maximumPageSize).contains(limit) else {
            throw SyncError.badRequest("invalid_limit", "limit is from 1 to \(configuration.maximumPageSize)", field: "limit")
        }
        let units = device.units
        let maximumBytes = configuration.maximumPageBytes
        let (head, page) = try store.read { queries in
            let head = try queries.clockState().sequence
            guard since <= head else { return (head, PullPage(records: [], nextCursor: since, hasMore: false)) }
            var (records, moreRecords) = try queries.changesPageStreamed(since: since, units: units, limit: limit, maxBytes: maximumBytes)
            let fetched = try queries.removals(since: since, units: units, limit: limit + 1)
            // Records and removals in sequence order, cut together at `limit` entries and
            // never past a record page cut short, so the cursor never passes an entry the
            // page does not carry.
            let bound = moreRecords ? (records.last?.sequence ?? since) : Int64.max
            let sequences = (records.map(\.sequence) + fetched.map(\.sequence)).filter { $0 <= bound }.sorted()
            let over = sequences.count > limit
            let last = over ? sequences[limit - 1] : (moreRecords ? bound : (sequences.last ?? since))
            records.removeAll { $0.sequence > last }
            moreRecords = moreRecords || over || fetched.count > limit || fetched.contains { $0.sequence > last }
            // A record that left one unit may still be seen through another, or be back.
            let removed = try fetched.filter { removal in
                guard removal.sequence <= last else { return false }
                guard let record = try queries.record(removal.key) else { return true }
                return !device.canSee(record.careUnits)
            }
            var page = PullPage(records: records, nextCursor: last, hasMore: moreRecords)
            page.removed = removed
            page.latestSequence = max(try queries.latestSequence(units: units), last)
            return (head, page)
        }
        // A cursor the server never handed out: the replica was restored from another
        // server's data, or the server's database from an older backup. Pulling on would
        // silently skip everything written between the two.
        guard since <= head else {
            throw SyncError.badRequest("cursor_ahead", "since is beyond the server's newest change (\(head))", field: "since")
        }
        guard delivering else { return page }
        let time = now()
        let records = page.records
        let flushDue = activity.note(device.replicaID, cursor: page.nextCursor, at: time)
        if records.isEmpty {
            // Nothing new: nothing to audit, so this request writes nothing. Sightings that
            // are due go to the table off the request's path, so an empty pull never waits
            // for the writer.
            if flushDue { flushDeviceActivityInBackground() }
        } else {
            // Written straight from the records: no subject value per record on the way.
            var subjects = AuditSubjectsWriter(clinician: clinician, expectedCount: records.count)
            for record in records {
                subjects.append(units: record.careUnits, patient: record.patient, collection: record.collection, recordID: record.recordID)
            }
            let (subjectsText, patients) = subjects.finish()
            try store.write { _, connection in
                try audit.append(.deliver, device: device.replicaID.description, subjectsText: subjectsText, patients: patients,
                                 at: time, connection: connection)
                try activity.flush(at: time, connection: connection)
            }
        }
        metrics.recordsPulled(records.count)
        return page
    }

    /// The response header of a pull that names the newest change sequence of the device's
    /// units: what remains to pull is at most that minus the cursor.
    public static let latestSequenceHeader = "X-RehabSync-Latest-Sequence"

    /// One record the device may see; 404 otherwise, so that existence does not leak.
    /// Audited as read unless `delivering` is false (a HEAD request, answered without the
    /// record).
    public func record(device: Device, clinician: String, collection: String, id: String,
                       delivering: Bool = true) throws -> StoredRecord {
        let clinician = try checkedClinician(clinician)
        let key = RecordKey(collection: collection, recordID: id)
        guard let record = try store.read({ try $0.record(key) }), device.canSee(record.careUnits) else {
            throw SyncError.notFound("no such record in the device's care units")
        }
        guard delivering else { return record }
        let time = now()
        try store.write { _, connection in
            try audit.append(.read, device: device.replicaID.description, subjects: [
                AuditSubject(clinician: clinician, units: record.careUnits, patient: record.patient, collection: collection, recordID: id),
            ], at: time, connection: connection)
        }
        return record
    }

    /// Records in conflict in the device's units, with the fields in conflict.
    public func conflicts(device: Device) throws -> JSONValue {
        let records = try store.read { try $0.conflicts(units: device.units) }
        return .object(["records": .array(try records.map { record in
            .object(["collection": .string(record.collection), "id": .string(record.recordID),
                     "sequence": .integer(record.sequence),
                     "fields": .array(try record.state().conflictingFields.map { .string($0.name) })])
        })])
    }

    /// The dump of a unit's records (or, without a unit, of every record the device sees):
    /// one canonical line per record, sorted by collection and id. The same format as a
    /// replica's dump, so equal states print equal bytes.
    public func dumpLines(units: [String]) throws -> [UInt8] {
        Self.dumpLines(try store.read { try $0.allRecords(units: units) })
    }

    static func dumpLines(_ records: [StoredRecord]) -> [UInt8] {
        var writer = CanonicalWriter(capacity: records.reduce(0) { $0 + $1.stateBytes.count + 96 })
        for record in records {
            RecordDumpLine.write(collection: record.collection, id: record.recordID, state: record.stateBytes, to: &writer)
        }
        return writer.bytes
    }

    /// A digest that proves a replica holds what the server holds: SHA-256 over the dump
    /// of the records visible to the device, or to one of its units.
    public func digest(device: Device, unit: String?) throws -> JSONValue {
        if let unit, !device.units.contains(unit) {
            throw SyncError.forbidden("the device is not enrolled for this unit", field: "unit")
        }
        let units = unit.map { [$0] } ?? device.units
        // Hashed line by line from one scan, so that the digest of a large unit holds one
        // record in memory, not the whole dump.
        let (count, digest) = try store.read { queries in
            var hasher = SHA256Hasher()
            var count = 0
            try queries.forEachDumpLine(units: units) { line in
                hasher.update(line)
                count += 1
            }
            return (count, SHA256Digest.hex(hasher.finalize()))
        }
        // The server's time rides along: a replica caps its hybrid clock at it plus the drift.
        return .object(["scope": .string(unit ?? "device"), "records": .integer(Int64(count)),
                        "digest": .string(digest),
                        "serverTime": .integer(now()), "maximumClockDriftMilliseconds": .integer(configuration.maximumClockDriftMilliseconds)])
    }

    /// An administrator's dump of one unit, logged with one subject per record and its
    /// patient, so that each patient's extract shows the dump. The records logged are the
    /// records sent: both come from one read.
    public func adminDump(unit: String) throws -> [UInt8] {
        do { _ = try HSAID(unit) } catch { throw SyncError.badRequest(error.rule, error.message, field: "unit") }
        let records = try store.read { try $0.allRecords(units: [unit]) }
        let time = now()
        try store.write { _, connection in
            // An empty unit is logged too: the dump was taken, it just held nothing.
            let subjects = records.isEmpty
                ? [AuditSubject(clinician: nil, units: [unit], patient: nil, collection: nil, recordID: nil)]
                : records.map { AuditSubject(clinician: nil, units: $0.careUnits, patient: $0.patient, collection: $0.collection, recordID: $0.recordID) }
            try audit.append(.dump, device: "admin", subjects: subjects, at: time, connection: connection)
        }
        return Self.dumpLines(records)
    }

    /// Checks the audit chain, and with `anchor` (a head written down earlier, as
    /// ``auditHead()`` prints it) that the chain still reaches it.
    public func verifyAudit(anchor text: String? = nil) throws -> JSONValue {
        var anchor: AuditHead?
        if let text {
            guard let parsed = AuditHead(text) else {
                throw SyncError.badRequest("invalid_head", "a head is <entry id>:<64 hex digits>, as 'audit head' prints it", field: "head")
            }
            anchor = parsed
        }
        return try store.read { try audit.verify(connection: $0.connection, anchor: anchor).json }
    }

    /// The head of the access log, for the operator's external log.
    public func auditHead() throws -> JSONValue {
        let head = try store.read { try AuditLog.head(connection: $0.connection) }
        return .object(["head": .string(head.description), "entry": .integer(head.entry)])
    }

    /// A patient's log extract: every access to the patient's records. Taking it is logged.
    /// The identifier is normalised as records are (so `19121212-1212` finds what
    /// `191212121212` finds), and one that is no valid identifier is a 400, never an
    /// empty extract that would read as "nobody looked".
    public func auditExtract(patient text: String) throws -> JSONValue {
        let time = now()
        let patient: String
        do { patient = try reference.onSwedishDate(of: time).patientIdentifier(text).canonical } catch {
            throw SyncError.badRequest(error.rule, error.message, field: "patient")
        }
        return try store.write { _, connection in
            let entries = try AuditLog.extract(patient: patient, connection: connection)
            try audit.append(.extract, device: "admin", subjects: [
                AuditSubject(clinician: nil, units: [], patient: patient, collection: nil, recordID: nil),
            ], at: time, connection: connection)
            return JSONValue.object(["patient": .string(patient), "entries": .array(entries)])
        }
    }

    private func checkedClinician(_ clinician: String) throws -> String {
        do { return try HSAID(clinician).value } catch {
            throw SyncError.badRequest("invalid_clinician", "the X-Clinician header carries the clinician's HSA-id", field: "X-Clinician")
        }
    }
}
