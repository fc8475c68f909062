import Foundation
import RehabSyncCore
@testable import RehabSyncServer
import RehabSyncStorage
import Testing

/// The access log holds as evidence: sealed with a key outside the database, anchored by a
/// head written down outside it, and complete (dumps and device reads included).
struct AuditEvidenceTests {
    typealias F = ServerFixtures

    /// A service with a device that has pushed one plan for each of two patients and pulled,
    /// after whatever `before` logged.
    private func busyService(_ scratch: ServerScratch, before: (SyncService) throws -> Void = { _ in }) throws -> (SyncService, Device) {
        let service = try F.service(scratch)
        try before(service)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        var other = F.plan()
        other["patient"] = .string("197010632391")
        _ = try service.push(device: device, body: F.body([
            ("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID, counter: 1)),
            ("carePlans", "p2", try F.state(other, replica: device.replicaID, counter: 2)),
        ]))
        _ = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        return (service, device)
    }

    private func raw(_ scratch: ServerScratch) throws -> Connection {
        try Connection(path: scratch.path("server.sqlite"), readOnly: false, busyTimeoutMilliseconds: 1_000)
    }

    @Test func verifyAgainstAHeadWrittenDownEarlierFailsAfterTheLastEntriesAreCutOffAndTheHeadMoved() throws {
        let scratch = try ServerScratch()
        let (service, device) = try busyService(scratch)
        let head = try #require(try service.auditHead().objectValue?["head"]?.stringValue)
        let anchor = try #require(AuditHead(head))
        #expect(try service.verifyAudit(anchor: head).objectValue?["ok"] == .bool(true))
        _ = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        #expect(try service.verifyAudit(anchor: head).objectValue?["ok"] == .bool(true))

        // Someone who can write the database cuts the last two entries and moves the head
        // back to match: nothing in the database itself shows it any more.
        let keep = anchor.entry - 1
        let connection = try raw(scratch)
        try connection.execute("DROP TRIGGER audit_no_delete")
        try connection.execute("DROP TRIGGER audit_patients_no_delete")
        try connection.execute("DELETE FROM audit WHERE id > \(keep)")
        try connection.execute("DELETE FROM audit_patients WHERE entry > \(keep)")
        try connection.execute("UPDATE audit_head SET last_id = \(keep), last_hash = (SELECT hash FROM audit WHERE id = \(keep))")
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))

        let verdict = try service.verifyAudit(anchor: head).objectValue
        #expect(verdict?["ok"] == .bool(false))
        #expect(verdict?["problem"]?.stringValue?.contains("anchored head") == true)
    }

    @Test func aHeadThatDisagreesWithTheEntryOfItsIdFailsAndAMalformedHeadIsA400() throws {
        let scratch = try ServerScratch()
        let (service, _) = try busyService(scratch)
        let text = try #require(try service.auditHead().objectValue?["head"]?.stringValue)
        let head = try #require(AuditHead(text))
        let forged = AuditHead(entry: head.entry, hash: String(repeating: "a", count: 64))
        #expect(try service.verifyAudit(anchor: forged.description).objectValue?["ok"] == .bool(false))
        #expect { try service.verifyAudit(anchor: "12:xyz") } throws: { ($0 as? SyncError)?.status == 400 }
    }

    @Test func anEntryRewrittenAndResealedWithoutTheKeyIsDetected() throws {
        let scratch = try ServerScratch()
        let (service, _) = try busyService(scratch)
        // The attack the old unkeyed chain allowed: edit the last entry, recompute its
        // SHA-256 seal from the stored columns, and move the head to it.
        let connection = try raw(scratch)
        let last = try #require(try connection.prepare("SELECT id, at, device, action, subjects, previous_hash FROM audit ORDER BY id DESC LIMIT 1")
            .firstRow { row in
                AuditEntry(id: row.int64(at: 0), atMilliseconds: row.int64(at: 1), device: try row.requireText(at: 2),
                           action: try row.requireText(at: 3), subjectsText: row.blob(at: 4), previousHash: try row.requireText(at: 5), hash: "")
            })
        let subjects = Array(String(decoding: last.subjectsText, as: UTF8.self).replacingOccurrences(of: F.nurse, with: "SE2321000016-X999").utf8)
        #expect(subjects != last.subjectsText)
        let edited = AuditEntry(id: last.id, atMilliseconds: last.atMilliseconds, device: last.device, action: last.action,
                                subjectsText: subjects, previousHash: last.previousHash, hash: "")
        let resealed = AuditLog.legacyHash(previous: last.previousHash, entry: edited.canonicalBytes)
        try connection.execute("DROP TRIGGER audit_no_update")
        let update = try connection.prepare("UPDATE audit SET subjects = ?, hash = ? WHERE id = ?")
        try update.bind(utf8: subjects, at: 1)
        try update.bind(resealed, at: 2)
        try update.bind(last.id, at: 3)
        try update.execute()
        try connection.execute("UPDATE audit_head SET last_hash = '\(resealed)'")

        let verdict = try service.verifyAudit().objectValue
        #expect(verdict?["ok"] == .bool(false))
        #expect(verdict?["brokenAt"] == .integer(last.id))
    }

    @Test func theKeyLivesInAnOwnerOnlyFileOutsideTheDatabaseAndAnotherKeyIsRefused() throws {
        let scratch = try ServerScratch()
        _ = try busyService(scratch)
        let path = scratch.path("audit-key")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = try #require(attributes[.posixPermissions] as? NSNumber).intValue
        #expect(mode & 0o777 == 0o600)
        let key = try #require(FileManager.default.contents(atPath: path))
        let database = try #require(FileManager.default.contents(atPath: scratch.path("server.sqlite")))
        #expect(database.range(of: key.prefix(64)) == nil)

        // A fresh key file would seal new entries that no verifier could tie to the old ones.
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: SettingsError.self) { try F.service(scratch) }
        try key.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try F.service(scratch).verifyAudit().objectValue?["ok"] == .bool(true))
    }

    @Test func anAdminDumpShowsInTheExtractOfEachPatientWhoseRecordsItHeld() throws {
        let scratch = try ServerScratch()
        let (service, _) = try busyService(scratch)
        _ = try service.adminDump(unit: F.unitA)
        for (patient, record) in [(F.patient, "p1"), ("197010632391", "p2")] {
            let entries = try #require(try service.auditExtract(patient: patient).objectValue?["entries"]?.arrayValue)
            let dumps = entries.filter { $0.objectValue?["action"] == .string("dump") }
            #expect(dumps.count == 1)
            #expect(dumps.first?.objectValue?["record"] == .string(record))
            #expect(dumps.first?.objectValue?["device"] == .string("admin"))
        }
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
    }

    @Test("an entry stored one object per subject, as every entry before the shared form, still verifies and extracts")
    func entriesOfThePerSubjectFormStillVerifyAndExtract() throws {
        let scratch = try ServerScratch()
        let oldDevice = "00000000-0000-4000-8000-0000000000a1"
        let (service, device) = try busyService(scratch) { service in
            // The stored bytes of such an entry, sealed as they are, as the log sealed them.
            try service.store.write { _, connection in
                try service.audit.append(.deliver, device: oldDevice, subjectsText: AuditEntryEncodingTests.perSubjectText,
                                         patients: ["191212121212"], at: 1_795_430_000_000, connection: connection)
            }
        }
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
        let entries = try #require(try service.auditExtract(patient: "191212121212").objectValue?["entries"]?.arrayValue)
        let old = entries.compactMap(\.objectValue).filter { $0["device"] == .string(oldDevice) }
        #expect(old.map { $0["record"] } == [.string("p1"), .string("p2")])
        #expect(old.allSatisfy { $0["clinician"] == .string("SE2321000016-N003") && $0["action"] == .string("deliver") })
        #expect(old.last?["units"] == .array([.string("SE2321000016-A001"), .string("SE2321000016-B002")]))
        // The entries written since, in the shared form, show too.
        let delivered = entries.compactMap(\.objectValue).filter { $0["device"] == .string(device.replicaID.description) && $0["action"] == .string("deliver") }
        #expect(delivered.map { $0["record"] } == [.string("p1")])
        #expect(delivered.first?["clinician"] == .string(F.nurse))
    }

    static func accessLogBody(id: Int, clinician: String = F.nurse, record: String = "p1") -> [UInt8] {
        Array(#"""
            {"entries":[{"id":\#(id),"at":1795429000000,"clinician":"\#(clinician)","action":"read","subjects":[{"collection":"carePlans","record":"\#(record)","patient":"\#(F.patient)","units":["\#(F.unitA)"]}]}]}
            """#.utf8)
    }

    @Test func readsADeviceReportsJoinThePatientsExtractOnceEvenWhenResent() throws {
        let scratch = try ServerScratch()
        let (service, device) = try busyService(scratch)
        let answer = try service.logDeviceAccess(device: device, body: Self.accessLogBody(id: 1, clinician: "SE2321000016-R009"))
        #expect(answer.objectValue?["logged"] == .integer(1))
        // The answer was lost; the device sends the same batch again.
        #expect(try service.logDeviceAccess(device: device, body: Self.accessLogBody(id: 1, clinician: "SE2321000016-R009"))
            .objectValue?["logged"] == .integer(0))
        // A device restored from a backup reuses id 1 for a new read: that is logged.
        #expect(try service.logDeviceAccess(device: device, body: Self.accessLogBody(id: 1, clinician: "SE2321000016-R010"))
            .objectValue?["logged"] == .integer(1))

        let entries = try #require(try service.auditExtract(patient: "19121212-1212").objectValue?["entries"]?.arrayValue)
        let reads = entries.filter { $0.objectValue?["action"] == .string("device-read") }.compactMap(\.objectValue)
        #expect(reads.map { $0["clinician"] } == [.string("SE2321000016-R009"), .string("SE2321000016-R010")])
        #expect(reads.allSatisfy { $0["device"] == .string(device.replicaID.description) && $0["record"] == .string("p1") })
        #expect(reads.first?["at"] == .integer(1_795_429_000_000))
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
    }

    @Test(arguments: [
        #"{"entries":[{"id":1,"at":1,"clinician":"nobody","action":"read","subjects":[{"collection":"carePlans","record":"p1","patient":null,"units":[]}]}]}"#,
        #"{"entries":[{"id":1,"at":1,"clinician":"SE2321000016-N003","action":"write","subjects":[{"collection":"carePlans","record":"p1","patient":null,"units":[]}]}]}"#,
        #"{"entries":[{"id":1,"at":1,"clinician":"SE2321000016-N003","action":"read","subjects":[]}]}"#,
        #"{"entries":[{"id":1,"at":1,"clinician":"SE2321000016-N003","action":"read","subjects":[{"collection":"nothing","record":"p1","patient":null,"units":[]}]}]}"#,
        #"{"entries":[{"id":2,"at":1,"clinician":"SE2321000016-N003","action":"read","subjects":[{"collection":"carePlans","record":"p1","patient":null,"units":[]}]},{"id":2,"at":1,"clinician":"SE2321000016-N003","action":"read","subjects":[{"collection":"carePlans","record":"p1","patient":null,"units":[]}]}]}"#,
        #"{"records":[]}"#,
        #"not json"#,
    ])
    func aMalformedDeviceAccessLogIsRefusedWholeAndLogsNothing(body: String) throws {
        let scratch = try ServerScratch()
        let (service, device) = try busyService(scratch)
        let before = try service.auditHead()
        #expect { try service.logDeviceAccess(device: device, body: Array(body.utf8)) } throws: { error in
            guard let error = error as? SyncError else { return false }
            return (400..<500).contains(error.status)
        }
        #expect(try service.auditHead() == before)
    }
}
