import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncServer
import RehabSyncStorage
import Testing

struct SyncServiceTests {
    typealias F = ServerFixtures

    @Test func aPushedRecordIsPulledByAnotherDeviceOfTheSameUnit() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (writer, _) = try service.enrol(name: "Laptop 1", units: [F.unitA])
        let (reader, _) = try service.enrol(name: "Tablet 2", units: [F.unitA])
        let state = try F.state(F.plan(), replica: writer.replicaID)
        let receipt = try service.push(device: writer, body: F.body([("carePlans", "p1", state)]))
        #expect(receipt.changed == 1)
        let page = try service.pull(device: reader, clinician: F.nurse, since: 0, limit: nil)
        #expect(page.records.map(\.recordID) == ["p1"])
        #expect(page.records.first?.stateBytes == state.canonicalBytes)
        #expect(!page.hasMore)
        let next = try service.pull(device: reader, clinician: F.nurse, since: page.nextCursor, limit: nil)
        #expect(next.records.isEmpty)
        #expect(next.nextCursor == page.nextCursor)
    }

    @Test func aRepeatedBatchChangesNothing() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let body = F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))])
        let first = try service.push(device: device, body: body)
        let second = try service.push(device: device, body: body)
        #expect(first.changed == 1)
        #expect(second.changed == 0)
        #expect(second.results.first?.record.sequence == first.results.first?.record.sequence)
    }

    @Test("A push receipt's bytes, written directly, are its JSON's canonical bytes, changed or not")
    func receiptBytesAreTheCanonicalJSON() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let records = try (0..<3).map { ("carePlans", "p\($0)", try F.state(F.plan(title: "t\($0)"), replica: device.replicaID, counter: Int64($0 + 1))) }
        let first = try service.push(device: device, body: F.body(records))
        let again = try service.push(device: device, body: F.body(records))
        #expect(first.changed == 3 && again.changed == 0)
        #expect(first.jsonBytes == first.json.canonicalBytes)
        #expect(again.jsonBytes == again.json.canonicalBytes)
    }

    @Test("A new record is stored as the canonical encoding of its state, whether it arrived in that form or not")
    func aNewRecordIsStoredCanonicalWhateverItsForm() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let canonical = try F.state(F.plan(title: "as written"), replica: device.replicaID, counter: 1)
        let spaced = try F.state(F.plan(title: "with spaces"), replica: device.replicaID, counter: 2)
        // The same state with white space after every comma: valid JSON, not canonical.
        let spacedText = spaced.canonicalText.replacingOccurrences(of: ",", with: ", ")
        let body = Array(("{\"records\":[{\"collection\":\"carePlans\",\"id\":\"p1\",\"state\":\(canonical.canonicalText)},"
            + "{\"collection\":\"carePlans\",\"id\":\"p2\",\"state\":\(spacedText)}]}").utf8)
        let receipt = try service.push(device: device, body: body)
        #expect(receipt.changed == 2)
        let page = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        let stored = Dictionary(uniqueKeysWithValues: page.records.map { ($0.recordID, $0.stateBytes) })
        #expect(stored["p1"] == canonical.canonicalBytes)
        #expect(stored["p2"] == spaced.canonicalBytes)
    }

    @Test func pagesFollowTheCursorUntilNothingRemains() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let records = try (0..<7).map { ("carePlans", "p\($0)", try F.state(F.plan(title: "t\($0)"), replica: device.replicaID, counter: Int64($0 + 1))) }
        _ = try service.push(device: device, body: F.body(records))
        var cursor: Int64 = 0
        var seen: [String] = []
        var pages = 0
        while true {
            let page = try service.pull(device: device, clinician: F.nurse, since: cursor, limit: 3)
            seen += page.records.map(\.recordID)
            cursor = page.nextCursor
            pages += 1
            if !page.hasMore { break }
        }
        #expect(pages == 3)
        #expect(seen.sorted() == (0..<7).map { "p\($0)" }.sorted())
    }

    @Test func aPushTouchingAnotherUnitIsRefusedWholeAndStoresNothing() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let mine = try F.state(F.plan(), replica: device.replicaID)
        let theirs = try F.state(F.plan(units: [F.unitB]), replica: device.replicaID, counter: 2)
        #expect {
            try service.push(device: device, body: F.body([("carePlans", "p1", mine), ("carePlans", "p2", theirs)]))
        } throws: { error in
            (error as? SyncError)?.status == 403 && (error as? SyncError)?.field == "records[1]"
        }
        #expect(try service.store.read { try $0.count() } == 0)
    }

    @Test func aRecordBreakingADomainRuleIsRefusedWith422AndStoresNothing() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let good = try F.state(F.plan(), replica: device.replicaID)
        var bad = F.plan()
        bad["needLevel"] = .string("medium")
        let refused = try F.state(bad, replica: device.replicaID, counter: 2)
        #expect {
            try service.push(device: device, body: F.body([("carePlans", "p1", good), ("carePlans", "p2", refused)]))
        } throws: { error in
            guard let error = error as? SyncError else { return false }
            return error.status == 422 && error.field == "records[1].state.fields.needLevel"
                && error.message.contains("carePlans/p2") && error.message.contains("enum")
        }
        #expect(try service.store.read { try $0.count() } == 0)
    }

    @Test func malformedBatchesAreRefusedNamingTheField() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let cases: [(String, Int, String?)] = [
            ("not json", 400, nil),
            (#"{"records":{}}"#, 400, "records"),
            (#"{"records":[{"collection":"carePlans","id":"p1"}]}"#, 400, "records[0]"),
            (#"{"records":[{"collection":"carePlans","id":"p1","state":{"context":{},"fields":{"x":[]}}}]}"#, 422, "records[0].state.fields.x"),
        ]
        for (body, status, field) in cases {
            #expect {
                try service.push(device: device, body: Array(body.utf8))
            } throws: { error in
                (error as? SyncError)?.status == status && (error as? SyncError)?.field == field
            }
        }
    }

    @Test func aWriteClockedFarInTheFutureIsRefused() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let future = try RecordState().applying(F.plan(), stamp: WriteStamp(
            dot: Dot(replica: device.replicaID, counter: 1), hlc: HLCTimestamp(milliseconds: F.wall + 86_400_000, logical: 0),
            author: F.nurse, wallMilliseconds: F.wall))
        #expect {
            try service.push(device: device, body: F.body([("carePlans", "p1", future)]))
        } throws: { error in
            (error as? SyncError)?.code == "invalid_clock"
        }
    }

    @Test func aRevokedTokenStopsWorkingOnTheNextRequest() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        #expect(try service.authenticate(bearer: token) == device)
        _ = try service.revoke(device.replicaID.description)
        #expect { try service.authenticate(bearer: token) } throws: { ($0 as? SyncError)?.status == 401 }
        #expect { try service.authenticate(bearer: token + "0") } throws: { ($0 as? SyncError)?.status == 401 }
        #expect { try service.authenticate(bearer: nil) } throws: { ($0 as? SyncError)?.status == 401 }
    }

    @Test func writesAndDeliveriesLeaveAuditEntriesAndTamperingIsDetected() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (writer, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let (reader, _) = try service.enrol(name: "Tablet", units: [F.unitA])
        _ = try service.push(device: writer, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: writer.replicaID))]))
        _ = try service.pull(device: reader, clinician: "SE2321000016-R009", since: 0, limit: nil)
        let extract = try service.auditExtract(patient: F.patient)
        let entries = extract.objectValue?["entries"]?.arrayValue ?? []
        let actions = entries.compactMap { $0.objectValue?["action"]?.stringValue }
        #expect(actions == ["write", "deliver"])
        #expect(entries.first?.objectValue?["clinician"] == .string(F.nurse))
        #expect(entries.first?.objectValue?["device"] == .string(writer.replicaID.description))
        #expect(entries.last?.objectValue?["clinician"] == .string("SE2321000016-R009"))
        #expect(entries.last?.objectValue?["units"] == .array([.string(F.unitA)]))
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))

        // Someone with file access edits an entry, getting past the append-only triggers.
        let raw = try Connection(path: scratch.path("server.sqlite"), readOnly: false, busyTimeoutMilliseconds: 1_000)
        try raw.execute("DROP TRIGGER audit_no_update")
        try raw.execute("UPDATE audit SET subjects = replace(subjects, 'SE2321000016-R009', 'SE2321000016-X999') WHERE action = 'deliver'")
        let verdict = try service.verifyAudit().objectValue
        #expect(verdict?["ok"] == .bool(false))
        #expect(verdict?["problem"]?.stringValue?.contains("altered") == true)
    }

    @Test func aPatientsExtractFindsEveryWayOfWritingTheIdentifierAndRefusesAnInvalidOne() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        for spelling in ["19121212-1212", " 191212121212", "121212+1212"] {
            let entries = try service.auditExtract(patient: spelling).objectValue?["entries"]?.arrayValue ?? []
            #expect(entries.contains { $0.objectValue?["action"] == .string("write") && $0.objectValue?["record"] == .string("p1") },
                    "spelling \(spelling)")
        }
        for invalid in ["1212121213", "19121212ABCD", "19121212-1213"] {
            #expect { try service.auditExtract(patient: invalid) } throws: { error in
                (error as? SyncError)?.status == 400 && (error as? SyncError)?.field == "patient"
            }
        }
    }

    @Test func removingAnAuditEntryIsDetected() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        _ = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        let raw = try Connection(path: scratch.path("server.sqlite"), readOnly: false, busyTimeoutMilliseconds: 1_000)
        try raw.execute("DROP TRIGGER audit_no_delete")
        try raw.execute("DELETE FROM audit WHERE action = 'write'")
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(false))
    }

    @Test func aPullPageIsOneAuditEntryThatNamesEveryRecordDelivered() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([
            ("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID, counter: 1)),
            ("carePlans", "p2", try F.state(F.plan(), replica: device.replicaID, counter: 2)),
        ]))
        _ = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        let entries = try #require(try service.auditExtract(patient: F.patient).objectValue?["entries"]?.arrayValue)
        let items = entries.compactMap { entry -> String? in
            guard let members = entry.objectValue, case .integer(let id) = members["id"],
                let action = members["action"]?.stringValue, let record = members["record"]?.stringValue else { return nil }
            return "\(id) \(action) \(record)"
        }
        // Entry 1 is the enrolment; each request then makes one entry for all its records.
        #expect(items == ["2 write p1", "2 write p2", "3 deliver p1", "3 deliver p2"])
    }

    @Test func removingARowOfThePatientIndexIsDetected() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
        let raw = try Connection(path: scratch.path("server.sqlite"), readOnly: false, busyTimeoutMilliseconds: 1_000)
        try raw.execute("DROP TRIGGER audit_patients_no_delete")
        try raw.execute("DELETE FROM audit_patients")
        let verdict = try service.verifyAudit().objectValue
        #expect(verdict?["ok"] == .bool(false))
        #expect(verdict?["problem"]?.stringValue?.contains("patient index") == true)
        #expect(try service.auditExtract(patient: F.patient).objectValue?["entries"]?.arrayValue?.isEmpty == true)
    }

    @Test func aDatabaseWithTheAuditTableOfAnEarlierDevelopmentBuildIsRefusedPlainly() throws {
        let scratch = try ServerScratch()
        _ = try F.service(scratch)
        let raw = try Connection(path: scratch.path("server.sqlite"), readOnly: false, busyTimeoutMilliseconds: 1_000)
        try raw.execute("DROP TABLE audit")
        try raw.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, patient TEXT, hash TEXT)")
        try raw.execute("PRAGMA user_version = 102")
        #expect { try F.service(scratch) } throws: { error in
            "\(error)".contains("new data directory")
        }
    }

    @Test func auditEntriesCannotBeChangedThroughSQLWhileTheTriggersStand() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        #expect(throws: DatabaseError.self) {
            try service.store.database.write { try $0.execute("DELETE FROM audit") }
        }
        #expect(throws: DatabaseError.self) {
            try service.store.database.write { try $0.execute("UPDATE audit_patients SET entry = entry + 1") }
        }
    }

    @Test func thePlanTravelsWithAHandoverToTheReceivingUnit() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (sender, _) = try service.enrol(name: "Sending clinic", units: [F.unitA])
        let (receiver, _) = try service.enrol(name: "Receiving clinic", units: [F.unitB])
        _ = try service.push(device: sender, body: F.body([("carePlans", "plan-1", try F.state(F.plan(), replica: sender.replicaID))]))
        #expect(try service.pull(device: receiver, clinician: F.nurse, since: 0, limit: nil).records.isEmpty)

        let handover = try F.state([
            "patient": .string(F.patient), "sendingUnit": .string(F.unitA), "receivingUnit": .string(F.unitB),
            "carePlan": .string("plan-1"), "summary": .string("Överlämning"), "status": .string("initiated"),
        ], replica: sender.replicaID, counter: 2)
        _ = try service.push(device: sender, body: F.body([("handovers", "h1", handover)]))
        let page = try service.pull(device: receiver, clinician: F.nurse, since: 0, limit: nil)
        #expect(Set(page.records.map(\.recordID)) == ["h1", "plan-1"])
        // The receiving unit may now work on the plan it was handed.
        let pulledPlan = try #require(page.records.first { $0.recordID == "plan-1" })
        let revised = try F.state(["summary": .string("Reviderad")], replica: receiver.replicaID, base: try pulledPlan.state())
        #expect(try service.push(device: receiver, body: F.body([("carePlans", "plan-1", revised)])).changed == 1)
    }

    @Test func theDigestChangesWithTheDataAndCoversOnlyTheDevicesUnits() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let (other, _) = try service.enrol(name: "Other", units: [F.unitC])
        let empty = try service.digest(device: device, unit: nil)
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        let after = try service.digest(device: device, unit: F.unitA)
        #expect(after.objectValue?["records"] == .integer(1))
        #expect(after.objectValue?["digest"] != empty.objectValue?["digest"])
        #expect(try service.digest(device: other, unit: nil).objectValue?["digest"] == empty.objectValue?["digest"])
        #expect { try service.digest(device: device, unit: F.unitB) } throws: { ($0 as? SyncError)?.status == 403 }
    }

    @Test func enrolmentRefusesMalformedUnitsAndNames() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        #expect { try service.enrol(name: "Laptop", units: ["not-hsa"]) } throws: { ($0 as? SyncError)?.field == "units[0]" }
        #expect { try service.enrol(name: "  ", units: [F.unitA]) } throws: { ($0 as? SyncError)?.field == "name" }
        #expect { try service.enrol(name: "Laptop", units: []) } throws: { ($0 as? SyncError)?.field == "units" }
    }
}
