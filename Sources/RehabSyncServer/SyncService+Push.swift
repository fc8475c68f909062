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
    }

    /// Joins a batch of record states into the server's copy: all of it in one transaction,
    /// or nothing. Refused whole with 403 if any record lies outside the device's units, and
    /// with 422 if any record breaks a domain rule. Re-sending a batch changes nothing.
    public func push(device: Device, body: [UInt8]) throws -> PushReceipt {
        let batch = try PushBatch(json: body, maximumRecords: configuration.maximumBatchRecords)
        let time = now()
        let validator = validator(at: time)
        let receipt = try store.write { transaction, connection -> PushReceipt in
            var clinicians: [String?] = []
            for (index, incoming) in batch.records.enumerated() {
                clinicians.append(try check(incoming, at: "records[\(index)]", device: device, time: time,
                                            validator: validator, queries: transaction.queries))
            }
            let results = try transaction.merge(batch.records)
            var drafts: [AuditDraft] = []
            for (offset, result) in results.enumerated() where result.changed {
                if result.key.collection == CollectionName.handovers.rawValue {
                    try travelWithHandover(result.key, transaction: &transaction)
                }
                drafts.append(AuditDraft(device: device.replicaID.description, clinician: clinicians[offset],
                                         units: result.record.careUnits, patient: result.record.patient,
                                         collection: result.key.collection, recordID: result.key.recordID, action: .write))
            }
            try AuditLog.append(drafts, at: time, connection: connection)
            try DeviceRegistry.touch(device.replicaID, cursor: nil, at: time, connection: connection)
            return PushReceipt(accepted: results.count, changed: drafts.count, results: results)
        }
        metrics.recordsPushed(receipt.changed)
        return receipt
    }

    /// The checks a record must pass before anything of its batch is stored. Returns the
    /// clinicians whose writes the record brings, for the audit log.
    private func check(_ incoming: IncomingRecord, at path: String, device: Device, time: Int64,
                       validator: RecordValidator, queries: RecordQueries) throws -> String? {
        let key = incoming.key
        let stored = try queries.record(key)
        // A device may only touch records it can see now, and only leave them where it can
        // still see them: otherwise one clinic could write into another's patients.
        if let stored, !device.canSee(stored.careUnits) {
            throw SyncError.forbidden("this record belongs to care units the device is not enrolled for", field: path)
        }
        let before = try stored?.state()
        let after = before.map { $0.joined(with: incoming.state) } ?? incoming.state
        if after == before { return nil }
        let units = DomainPlacement.careUnits(collection: key.collection, state: after) + (try queries.grants(of: key))
        guard device.canSee(units) else {
            throw SyncError.forbidden("the record's care units are outside the device's enrolment", field: path)
        }
        do {
            try validator.validate(collection: key.collection, recordID: key.recordID, before: before, after: after)
        } catch {
            throw SyncError.invalidRecord(error, at: path + ".state")
        }
        return try checkWrites(of: after, since: before, at: path, time: time, device: device)
    }

    /// Every write a push introduces names a plausible clinician and a plausible time.
    /// Returns those clinicians, comma-separated.
    private func checkWrites(of state: RecordState, since before: RecordState?, at path: String, time: Int64,
                             device: Device) throws -> String? {
        var authors = Set<String>()
        for field in state.fields {
            let known = Set(before?[field.name]?.siblings.map(\.dot) ?? [])
            for (offset, sibling) in field.siblings.enumerated() where !known.contains(sibling.dot) {
                let siblingPath = "\(path).state.fields.\(field.name)[\(offset)]"
                // Writes of other replicas reach us from those replicas; one that is new to
                // the server but carries another replica's dot is forged or corrupt.
                guard sibling.dot.replica == device.replicaID else {
                    throw SyncError(status: 422, code: "foreign_dot", message: "a new write must carry the pushing device's replica id",
                                    field: siblingPath + ".dot")
                }
                do { _ = try HSAID(sibling.author) } catch {
                    throw SyncError(status: 422, code: "invalid_author", message: "a write's author is the clinician's HSA-id",
                                    field: siblingPath + ".author")
                }
                guard HybridLogicalClock.isPlausible(sibling.hlc, wallMilliseconds: time,
                                                     maximumDriftMilliseconds: configuration.maximumClockDriftMilliseconds)
                else {
                    throw SyncError(status: 422, code: "invalid_clock",
                                    message: "the write's clock is more than \(configuration.maximumClockDriftMilliseconds / 1000) s ahead of the server's",
                                    field: siblingPath + ".hlc")
                }
                authors.insert(sibling.author)
            }
        }
        return authors.isEmpty ? nil : authors.sorted().joined(separator: ",")
    }

    /// The care programme sends the rehabilitation plan, and the interventions under way,
    /// along with an active handover: from the moment it is initiated the receiving unit
    /// may see them.
    private func travelWithHandover(_ key: RecordKey, transaction: inout RecordTransaction) throws {
        guard let stored = try transaction.queries.record(key) else { return }
        let values = try stored.state().provisionalValues
        guard let receiving = values["receivingUnit"]?.stringValue else { return }
        if let plan = values["carePlan"]?.stringValue {
            try transaction.grant(RecordKey(collection: CollectionName.carePlans.rawValue, recordID: plan), to: receiving)
        }
        for intervention in values["ongoingInterventions"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            try transaction.grant(RecordKey(collection: CollectionName.plannedInterventions.rawValue, recordID: intervention), to: receiving)
        }
    }
}
