import RehabSyncCore
import RehabSyncDomain
import RehabSyncStorage

extension SyncService {
    /// What a push did, sent back only after the transaction is durable.
    public struct PushReceipt: Sendable {
        public let accepted: Int
        public let changed: Int
        public let results: [MergeResult]

        public var json: JSONValue {
            .object([
                "accepted": .integer(Int64(accepted)), "changed": .integer(Int64(changed)),
                "results": .array(results.map { result in
                    .object(["collection": .string(result.key.collection), "id": .string(result.key.recordID),
                             "sequence": .integer(result.record.sequence), "changed": .bool(result.changed)])
                }),
            ])
        }

        /// The bytes of `json.canonicalBytes`, written directly: a receipt names every
        /// record of its batch, and a tree of dictionaries for it costs more than the writing.
        /// Members in byte order, as the canonical writer puts them.
        public var jsonBytes: [UInt8] {
            var writer = CanonicalWriter(capacity: 64 + results.count * 96)
            writer.append(#"{"accepted":"#)
            writer.appendInteger(Int64(accepted))
            writer.append(#","changed":"#)
            writer.appendInteger(Int64(changed))
            writer.append(#","results":["#)
            for (offset, result) in results.enumerated() {
                if offset > 0 { writer.append(UInt8(ascii: ",")) }
                if result.changed {
                    writer.append(#"{"changed":true,"collection":"#)
                } else {
                    writer.append(#"{"changed":false,"collection":"#)
                }
                writer.appendString(result.key.collection)
                writer.append(#","id":"#)
                writer.appendString(result.key.recordID)
                writer.append(#","sequence":"#)
                writer.appendInteger(result.record.sequence)
                writer.append(UInt8(ascii: "}"))
            }
            writer.append("]}")
            return writer.bytes
        }
    }

    /// Joins a batch of record states into the server's copy: all of it, or nothing.
    /// Refused whole with 403 if any record lies outside the device's units, and with 422
    /// if any record breaks a domain rule. Re-sending a batch changes nothing.
    ///
    /// Every record is joined and checked on a reader first, in parallel with other pushes;
    /// the single writer then only stores what is still current, and checks again any
    /// record that another push changed in the meantime. Pushes that wait for the writer
    /// at the same time share its transaction and its sync to disk, each in a savepoint
    /// of its own (``PushCommitGroup``); none is answered before that transaction commits.
    ///
    /// - Parameter sentMark: The highest counter the replica file has ever sent, from its
    ///   `X-RehabSync-Sent-Mark` header. Below the highest counter the server has stored
    ///   from the device, the file is an old copy and the push is refused with 409
    ///   `replica_behind`: its new writes may carry dots the server already holds, which a
    ///   join would silently take for old ones.
    public func push(device: Device, body: [UInt8], sentMark: Int64? = nil) throws -> PushReceipt {
        let writes = try preparePush(device: device, body: body, sentMark: sentMark)
        // Stored with whatever other pushes wait for the writer: one commit for all.
        let receipt = try pushCommits.commit(store, writes)
        metrics.recordsPushed(receipt.changed)
        return receipt
    }

    /// Several pushes stored as one group, as ``push(device:body:sentMark:)`` stores those
    /// that meet at the writer; each push's outcome in order. For tests of the grouping.
    func pushTogether(_ pushes: [(device: Device, body: [UInt8], sentMark: Int64?)]) throws -> [Result<PushReceipt, any Error>] {
        let writes = try pushes.map { try preparePush(device: $0.device, body: $0.body, sentMark: $0.sentMark) }
        let outcomes = pushCommits.storeTogether(store, writes)
        for case .success(let receipt) in outcomes { metrics.recordsPushed(receipt.changed) }
        return outcomes
    }

    /// Parses and checks a push on a reader, and returns what the single writer must do
    /// to store it.
    private func preparePush(device: Device, body: [UInt8], sentMark: Int64?) throws -> PushCommitGroup.Body {
        let batch = try PushBatch(json: body, maximumRecords: configuration.maximumBatchRecords)
        let time = now()
        let validator = validator(at: time)
        // The merges as the store prepared them, and beside them the clinicians whose writes
        // each brings: the writer takes the merges as they are, without a copy of each.
        let (merges, checkedClinicians) = try store.read { queries in
            // Grants are asked for per record only when the snapshot holds any.
            let grants = try queries.hasGrants()
            var validPatients: Set<String> = []
            let merges = try store.prepareMerges(batch.records, queries: queries)
            var clinicians: [String?] = []
            clinicians.reserveCapacity(merges.count)
            for index in merges.indices {
                clinicians.append(try check(merges[index], at: index, device: device, time: time, validator: validator,
                                            queries: queries, anyGrants: grants, validPatients: &validPatients))
            }
            return (merges, clinicians)
        }
        return { [self] transaction, connection -> PushReceipt in
            let stored = try DeviceRegistry.device(device.replicaID, connection: connection)
            if let sentMark, let stored, sentMark < stored.counterMark {
                throw SyncError.replicaBehind(sent: sentMark, stored: stored.counterMark)
            }
            if let stored, stored.writerID != device.writerID {
                throw SyncError(status: 409, code: "writer_changed", message: "the device took a new replica id during this push; send it again",
                                field: SyncService.instanceHeader)
            }
            var results: [MergeResult] = []
            results.reserveCapacity(merges.count)
            // The audit subjects of the written records, kept as their places in `results`
            // and their clinicians: the entry is written from those once the batch is stored.
            var written: [Int] = []
            var writtenClinicians: [String?] = []
            var handovers: [(key: RecordKey, receivedBy: String?)] = []
            var validPatients: Set<String> = []
            // Records new to the snapshot are inserted without a lookup, several to a
            // statement; a unique address tells if another push created one meanwhile
            // (nil, as for a record that moved). Each record's checks depend only on its
            // own states, so rechecking after the rest of the batch is stored is the same.
            let appliedInOrder = try transaction.applyNew(batch: merges)
            // By index, not by element: a copy of each merge and result per record cost more.
            for index in merges.indices {
                var clinicians = checkedClinicians[index]
                if let applied = appliedInOrder[index] {
                    results.append(applied)
                } else {
                    metrics.recordRechecked()
                    let merge = try store.prepareMerge(batch.records[index], queries: transaction.queries)
                    clinicians = try check(merge, at: index, device: device, time: time,
                                           validator: validator, queries: transaction.queries, anyGrants: true, validPatients: &validPatients)
                    // Inside the writer nothing moves a record between a read and an apply, so
                    // this is a programming error, answered 500 rather than trapping.
                    guard let applied = try transaction.apply(merge) else {
                        throw SyncError(status: 500, code: "internal_error", message: "a record moved inside its own transaction")
                    }
                    results.append(applied)
                }
                let last = results.count - 1
                guard results[last].changed else { continue }
                if results[last].key.collection == CollectionName.handovers.rawValue {
                    let before = try merges[index].stored.map { try $0.state().provisionalValues["receivingUnit"]?.stringValue }
                    handovers.append((results[last].key, before ?? nil))
                }
                written.append(last)
                writtenClinicians.append(clinicians)
            }
            // Only once the whole batch is stored: a plan the handover names may come later
            // in the same batch, and must travel as it now stands.
            var grants: [AuditSubject] = []
            var lapsed: [AuditSubject] = []
            for handover in handovers {
                try travelWithHandover(handover.key, receivedBefore: handover.receivedBy, device: device,
                                       transaction: &transaction, grants: &grants, lapsed: &lapsed)
            }
            let newest = batch.records.reduce(Int64(0)) { max($0, $1.state.context[device.writerID]) }
            if newest > (stored?.counterMark ?? 0) {
                try DeviceRegistry.raiseCounterMark(device.replicaID, to: newest, connection: connection)
            }
            let deviceID = device.replicaID.description
            try appendWriteEntry(of: written, in: results, clinicians: writtenClinicians, device: deviceID, at: time, connection: connection)
            try audit.append(.grant, device: deviceID, subjects: grants, at: time, connection: connection)
            try audit.append(.revokeGrant, device: deviceID, subjects: lapsed, at: time, connection: connection)
            try DeviceRegistry.touch(device.replicaID, cursor: nil, at: time, connection: connection)
            return PushReceipt(accepted: results.count, changed: written.count, results: results)
        }
    }

    /// The audit entry of a push's writes: the records of `results` at `indices`, each
    /// written by the clinicians at the same place of `clinicians`. Nothing for none.
    ///
    /// When one clinician wrote them all, as nearly always, the subjects go straight into
    /// the shared form (``AuditSubjectsWriter``) from the results, the very text that
    /// ``AuditLog/append(_:device:subjects:at:connection:)`` writes for them, without an
    /// ``AuditSubject`` built per record first.
    private func appendWriteEntry(of indices: [Int], in results: [MergeResult], clinicians: [String?], device: String, at time: Int64,
                                  connection: Connection) throws {
        guard let clinician = clinicians.first else { return }
        guard clinicians.allSatisfy({ $0 == clinician }) else {
            let subjects = zip(indices, clinicians).map { index, clinicians in
                let result = results[index]
                return AuditSubject(clinician: clinicians, units: result.record.careUnits, patient: result.record.patient,
                                    collection: result.key.collection, recordID: result.key.recordID)
            }
            try audit.append(.write, device: device, subjects: subjects, at: time, connection: connection)
            return
        }
        var writer = AuditSubjectsWriter(clinician: clinician, expectedCount: indices.count)
        // Each field read in place: a copy of each result cost more than its subject's text.
        for index in indices {
            writer.append(units: results[index].record.careUnits, patient: results[index].record.patient,
                          collection: results[index].key.collection, recordID: results[index].key.recordID)
        }
        let (text, patients) = writer.finish()
        try audit.append(.write, device: device, subjectsText: text, patients: patients, at: time, connection: connection)
    }

    /// The checks a record must pass before anything of its batch is stored. Returns the
    /// clinicians whose writes the record brings, for the audit log.
    ///
    /// Runs for every record of every push, so error paths are built only when thrown.
    ///
    /// - Parameters:
    ///   - anyGrants: False when `queries` holds no grant at all (``RecordQueries/hasGrants()``),
    ///     so that no record's grants need asking for.
    ///   - validPatients: The patient identifiers `validator` found valid earlier in the batch.
    private func check(_ merge: PreparedMerge, at index: Int, device: Device, time: Int64, validator: RecordValidator,
                       queries: RecordQueries, anyGrants: Bool, validPatients: inout Set<String>) throws -> String? {
        var path: String { "records[\(index)]" }
        let key = merge.key
        let incoming = merge.incoming
        let before = merge.before
        // A record the device cannot see is answered as if it did not exist, whether it
        // exists elsewhere or not, so that push is no existence oracle. The one exception
        // is a repeated push of writes the server already holds from this very device
        // (its acknowledgement was lost): that is answered as unchanged even if the
        // record has since left the device's units, so the device can let go of it.
        if let stored = merge.stored, !device.canSee(stored.careUnits) {
            if !merge.changed, Self.holdsWrite(of: device, in: incoming, storedAs: before) { return nil }
            throw SyncError.recordNotVisible(field: path)
        }
        if before == nil, incoming.context.entries.contains(where: { $0.replica != device.writerID }) {
            throw SyncError.recordNotVisible(field: path)
        }
        try checkHistory(of: incoming, against: before, at: path, device: device)
        if !merge.changed { return nil }
        let after = merge.after
        // The store placed `after` by the domain's rule (``placement``) as it prepared the
        // merge: sorted and without repeats, which neither check below depends on.
        let placed = merge.placement.careUnits
        let units = anyGrants ? placed + (try queries.grants(of: key)) : placed
        guard device.canSee(units) else {
            throw SyncError.forbidden("the record's care units are outside the device's enrolment", field: path)
        }
        // Rules that depend on history are checked against what the writer had seen (the
        // server's state cut down to the push's causal context) and what it wrote, never
        // against the join: a write concurrent with a completing or advancing one is
        // accepted, and shows as a conflict.
        let seen = before.map { $0.seen(by: incoming.context) }
        let written = seen.map { $0.joined(with: incoming) } ?? incoming
        // A new record is written as it arrived, which is its joined state: its units are known.
        try checkPlacement(of: key, seen: seen, written: written, writtenUnits: merge.stored == nil ? placed : nil, at: path, device: device)
        // And what the join does to the record's placement: a state that understates its
        // context could otherwise move a shared record out of a unit through the join.
        if before != nil { try checkPlacement(of: key, seen: before, written: after, at: path, device: device) }
        do {
            try validator.validate(collection: key.collection, recordID: key.recordID, before: seen, after: written,
                                   validPatients: &validPatients)
        } catch {
            throw SyncError.invalidRecord(error, at: path + ".state")
        }
        return try checkWrites(of: after, since: before, at: path, time: time, device: device)
    }

    /// Whether `incoming` carries a write of `device` that the server holds unchanged.
    private static func holdsWrite(of device: Device, in incoming: RecordState, storedAs before: RecordState?) -> Bool {
        guard let before else { return false }
        return incoming.fields.contains { field in
            field.siblings.contains { $0.dot.replica == device.writerID && before[field.name]?.sibling(withDot: $0.dot) == $0 }
        }
    }

    /// Moving a record into or out of a unit is writing to that unit: only a device
    /// enrolled there may do it. A handover or referral names its other unit by nature,
    /// but its own side must be one of the device's units, both sides are set when it is
    /// created, and changing either later needs enrolment in the old and the new unit.
    ///
    /// - Parameter writtenUnits: The care units of `written` when the caller has them.
    private func checkPlacement(of key: RecordKey, seen: RecordState?, written: RecordState, writtenUnits: [String]? = nil,
                                at path: @autoclosure () -> String, device: Device) throws {
        if Self.namesCounterpartUnit(key.collection) {
            try checkCounterpartUnits(of: key, seen: seen, written: written, at: path(), device: device)
            return
        }
        // Arrays, not sets: a record names one or two units, and this runs per record.
        let old = seen.map { DomainPlacement.careUnits(collection: key.collection, state: $0) } ?? []
        let new = writtenUnits ?? DomainPlacement.careUnits(collection: key.collection, state: written)
        // The first in order of the units added or removed that the device is not enrolled
        // for, found without building the lists: this runs for every pushed record.
        var foreign: String?
        func note(_ unit: String) {
            if !device.units.contains(unit), foreign.map({ unit < $0 }) ?? true { foreign = unit }
        }
        for unit in old where !new.contains(unit) { note(unit) }
        for unit in new where !old.contains(unit) { note(unit) }
        if let foreign {
            throw SyncError.forbidden("the push would add or remove care unit \(foreign), which the device is not enrolled for",
                                      field: path() + ".state.fields.careUnits")
        }
    }

    private func checkCounterpartUnits(of key: RecordKey, seen: RecordState?, written: RecordState, at path: String,
                                       device: Device) throws {
        let isHandover = key.collection == CollectionName.handovers.rawValue
        let sides = isHandover ? ["sendingUnit", "receivingUnit"] : ["referringUnit", "receivingUnit"]
        func unit(_ name: String, _ state: RecordState?) -> String? { state?[name]?.provisional.value.stringValue }
        let created = seen.map { state in sides.allSatisfy { state[$0] == nil } } ?? true
        if created {
            // A handover is created by the unit that sends it; a referral by either side.
            let own = isHandover ? [unit("sendingUnit", written)] : sides.map { unit($0, written) }
            guard own.contains(where: { $0.map(device.units.contains) ?? false }) else {
                throw SyncError.forbidden(
                    isHandover ? "a handover is created by a device of its sending unit"
                        : "a referral is registered by a device of its referring or receiving unit",
                    field: "\(path).state.fields.\(sides[0])")
            }
        } else {
            for side in sides {
                let old = unit(side, seen)
                let new = unit(side, written)
                guard old != new else { continue }
                for changed in [old, new].compactMap({ $0 }) where !device.units.contains(changed) {
                    throw SyncError.forbidden("changing \(side) needs enrolment in the old and the new unit; the device is not enrolled for \(changed)",
                                              field: "\(path).state.fields.\(side)")
                }
            }
        }
        guard isHandover else { return }
        try checkHandoverSteps(seen: seen, written: written, at: path, device: device)
    }

    /// Active handover: the sending unit initiates and stays responsible until the
    /// receiving unit confirms receipt and contact with the patient; only the receiving
    /// unit may take those steps.
    private func checkHandoverSteps(seen: RecordState?, written: RecordState, at path: String, device: Device) throws {
        guard let receiving = written["receivingUnit"]?.provisional.value.stringValue else { return }
        let known = seen?["status"]
        for sibling in written["status"]?.siblings ?? [] where known?.sibling(withDot: sibling.dot) == nil {
            guard let step = sibling.value.stringValue.flatMap(HandoverState.init(rawValue:)), step != .initiated else { continue }
            guard device.units.contains(receiving) else {
                throw SyncError.forbidden("only the receiving unit \(receiving) confirms a handover (\(step.rawValue)); the sending unit stays responsible until it does",
                                          field: "\(path).state.fields.status")
            }
        }
    }

    /// A state may only tell the server what the server could not know: writes the device
    /// made itself. Knowledge of other replicas' writes comes from the server, so a context
    /// ahead of the server's for another replica, or a known write with altered content,
    /// is forged or corrupt; joining it would silently discard or rewrite other
    /// clinicians' writes.
    private func checkHistory(of state: RecordState, against before: RecordState?, at path: @autoclosure () -> String,
                              device: Device) throws {
        for entry in state.context.entries where entry.replica != device.writerID {
            guard entry.counter <= (before?.context[entry.replica] ?? 0) else {
                throw SyncError(status: 422, code: "context_ahead",
                                message: "the state claims writes of another replica that the server has never seen",
                                field: "\(path()).state.context.\(entry.replica)")
            }
        }
        guard let before else { return }
        for field in state.fields {
            guard let stored = before[field.name] else { continue }
            for (offset, sibling) in field.siblings.enumerated() {
                if let known = stored.sibling(withDot: sibling.dot), known != sibling {
                    throw SyncError(status: 422, code: "altered_write",
                                    message: "a write the server already holds arrived with different content",
                                    field: "\(path()).state.fields.\(field.name)[\(offset)]")
                }
            }
        }
    }

    /// The records that the patient's other handovers to `unit`, not voided, bring along.
    private static func targetsOfOtherActiveHandovers(of patient: String, to unit: String, except key: RecordKey,
                                                     queries: RecordQueries) throws -> Set<RecordKey> {
        var targets = Set<RecordKey>()
        for record in try queries.records(patient: patient, collection: CollectionName.handovers.rawValue) where record.recordID != key.recordID {
            let values = try record.state().provisionalValues
            guard values["receivingUnit"]?.stringValue == unit, values["voided"] == nil || values["voided"] == .null else { continue }
            if let plan = values["carePlan"]?.stringValue { targets.insert(RecordKey(collection: CollectionName.carePlans.rawValue, recordID: plan)) }
            for intervention in values["ongoingInterventions"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                targets.insert(RecordKey(collection: CollectionName.plannedInterventions.rawValue, recordID: intervention))
            }
        }
        return targets
    }

    /// Collections whose records name a unit besides the writer's own by design.
    private static func namesCounterpartUnit(_ collection: String) -> Bool {
        collection == CollectionName.handovers.rawValue || collection == CollectionName.referrals.rawValue
    }

    /// Every write a push introduces names a plausible clinician and a plausible time.
    /// Returns those clinicians, comma-separated.
    private func checkWrites(of state: RecordState, since before: RecordState?, at path: @autoclosure () -> String, time: Int64,
                             device: Device) throws -> String? {
        // An array, not a set: a record's writes name one clinician, rarely two, and
        // hashing them cost more than the search.
        var authors: [String] = []
        // One clinician usually writes every field of a record: check each author once.
        var lastAuthor: String?
        // Read once, not per write: the configuration is a struct copied out of the service.
        let maximumDrift = configuration.maximumClockDriftMilliseconds
        // Fields and siblings by index, read in place: a copy of each sibling (its value and
        // author) per write cost more than the checks.
        for fieldIndex in state.fields.indices {
            let siblings = state.fields[fieldIndex].siblings
            let stored = before?[state.fields[fieldIndex].name]
            for offset in siblings.indices {
                let dot = siblings[offset].dot
                if let stored, stored.sibling(withDot: dot) != nil { continue }
                var siblingPath: String { "\(path()).state.fields.\(state.fields[fieldIndex].name)[\(offset)]" }
                // Writes of other replicas reach us from those replicas; one that is new to
                // the server but carries another replica's dot is forged or corrupt.
                guard dot.replica == device.writerID else {
                    throw SyncError(status: 422, code: "foreign_dot", message: "a new write must carry the pushing device's replica id",
                                    field: siblingPath + ".dot")
                }
                if siblings[offset].author != lastAuthor {
                    let author = siblings[offset].author
                    do { _ = try HSAID(author) } catch {
                        throw SyncError(status: 422, code: "invalid_author", message: "a write's author is the clinician's HSA-id",
                                        field: siblingPath + ".author")
                    }
                    if !authors.contains(author) { authors.append(author) }
                    lastAuthor = author
                }
                guard HybridLogicalClock.isPlausible(siblings[offset].hlc, wallMilliseconds: time, maximumDriftMilliseconds: maximumDrift) else {
                    throw SyncError(status: 422, code: "invalid_clock",
                                    message: "the write's clock is more than \(maximumDrift / 1000) s ahead of the server's",
                                    field: siblingPath + ".hlc")
                }
            }
        }
        switch authors.count {
        case 0: return nil
        case 1: return authors[0]
        default: return authors.sorted().joined(separator: ",")
        }
    }

    /// The care programme sends the rehabilitation plan, and the interventions under way,
    /// along with an active handover: from the moment it is initiated the receiving unit
    /// may see them. Only records the sending unit holds for the same patient travel, and
    /// only when the pushing device works in the sending unit; each grant is audited.
    ///
    /// A grant lapses when the handover is voided or redirected to another unit: the unit
    /// that was to receive it no longer sees the records, and its devices are told so.
    private func travelWithHandover(_ key: RecordKey, receivedBefore: String?, device: Device,
                                    transaction: inout RecordTransaction, grants: inout [AuditSubject],
                                    lapsed: inout [AuditSubject]) throws {
        guard let stored = try transaction.queries.record(key) else { return }
        let values = try stored.state().provisionalValues
        guard let sending = values["sendingUnit"]?.stringValue, let receiving = values["receivingUnit"]?.stringValue,
            let patient = values["patient"]?.stringValue
        else { return }
        var targets: [RecordKey] = []
        if let plan = values["carePlan"]?.stringValue {
            targets.append(RecordKey(collection: CollectionName.carePlans.rawValue, recordID: plan))
        }
        for intervention in values["ongoingInterventions"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            targets.append(RecordKey(collection: CollectionName.plannedInterventions.rawValue, recordID: intervention))
        }
        let isVoided = values["voided"] != nil && values["voided"] != .null
        var closing: [String] = []
        if isVoided { closing.append(receiving) }
        let redirected = receivedBefore.map { $0 != receiving } ?? false
        if redirected, let receivedBefore { closing.append(receivedBefore) }
        var moved: [RecordKey] = []
        for unit in closing {
            // Another active handover of the same patient to the same unit keeps its grants.
            let kept = try Self.targetsOfOtherActiveHandovers(of: patient, to: unit, except: key, queries: transaction.queries)
            for target in targets where !kept.contains(target) {
                guard try transaction.revokeGrant(target, from: unit) else { continue }
                lapsed.append(AuditSubject(clinician: nil, units: [sending, unit], patient: patient,
                                           collection: target.collection, recordID: target.recordID))
                if unit == receivedBefore { moved.append(target) }
            }
        }
        // A redirected handover takes its records along to the unit it now goes to.
        if redirected, !isVoided {
            for target in moved where try transaction.grant(target, to: receiving) {
                grants.append(AuditSubject(clinician: nil, units: [sending, receiving], patient: patient,
                                           collection: target.collection, recordID: target.recordID))
            }
        }
        guard !isVoided, device.units.contains(sending) else { return }
        for target in targets {
            guard let record = try transaction.queries.record(target), record.patient == patient,
                record.careUnits.contains(sending), try transaction.grant(target, to: receiving)
            else { continue }
            grants.append(AuditSubject(clinician: nil, units: [sending, receiving], patient: patient,
                                       collection: target.collection, recordID: target.recordID))
        }
    }
}
