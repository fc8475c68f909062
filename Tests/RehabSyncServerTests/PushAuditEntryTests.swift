import RehabSyncCore
@testable import RehabSyncServer
import RehabSyncStorage
import Testing

/// A push's write entry, written straight from the stored records, is the text the audit
/// log writes for their subjects.
struct PushAuditEntryTests {
    typealias F = ServerFixtures

    private static let otherNurse = "SE2321000016-N004"

    /// The subjects text of the newest write entry.
    private static func lastWriteEntry(_ scratch: ServerScratch) throws -> [UInt8] {
        let connection = try Connection(path: scratch.path("server.sqlite"), readOnly: true, busyTimeoutMilliseconds: 1_000)
        return try #require(try connection.prepare("SELECT subjects FROM audit WHERE action = 'write' ORDER BY id DESC LIMIT 1")
            .firstRow { $0.blob(at: 0) })
    }

    private static func subject(_ id: String, by clinician: String?) -> AuditSubject {
        AuditSubject(clinician: clinician, units: [F.unitA], patient: F.patient, collection: "carePlans", recordID: id)
    }

    @Test("one clinician's writes are logged in the shared form, several clinicians' one object per subject, unchanged records not at all")
    func writeEntryTextInEitherForm() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        let first = try F.state(F.plan(), replica: device.replicaID, counter: 1)
        _ = try service.push(device: device, body: F.body([
            ("carePlans", "p1", first), ("carePlans", "p2", try F.state(F.plan(), replica: device.replicaID, counter: 2)),
        ]))
        let shared = try Self.lastWriteEntry(scratch)
        #expect(shared == AuditSubjectsWriter([Self.subject("p1", by: F.nurse), Self.subject("p2", by: F.nurse)]).finish().text)
        #expect(String(decoding: shared, as: UTF8.self).hasPrefix(#"{"clinician":"SE2321000016-N003","subjects":["#))

        // p1 again unchanged: acknowledged, but no write of it is logged.
        let receipt = try service.push(device: device, body: F.body([
            ("carePlans", "p1", first), ("carePlans", "p3", try F.state(F.plan(), replica: device.replicaID, counter: 3)),
            ("carePlans", "p4", try F.state(F.plan(), replica: device.replicaID, counter: 4, author: Self.otherNurse)),
        ]))
        #expect(receipt.accepted == 3 && receipt.changed == 2)
        let perSubject = try Self.lastWriteEntry(scratch)
        #expect(perSubject == AuditSubjectsWriter([Self.subject("p3", by: F.nurse), Self.subject("p4", by: Self.otherNurse)]).finish().text)
        #expect(String(decoding: perSubject, as: UTF8.self).hasPrefix("["))
        #expect(try service.verifyAudit().objectValue?["ok"] == .bool(true))
    }
}
