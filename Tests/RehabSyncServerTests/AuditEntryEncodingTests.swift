import RehabSyncCore
@testable import RehabSyncServer
import Testing

struct AuditEntryEncodingTests {
    static let subjects = [
        AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: "191212121212",
                     collection: "carePlans", recordID: "p\"1"),
        AuditSubject(clinician: nil, units: [], patient: nil, collection: nil, recordID: nil),
    ]

    /// The hand-written encoding must equal the generic canonical one, or a verifier
    /// written elsewhere (from the stored columns) would disagree with our chain.
    @Test(arguments: [
        AuditEntry(id: 7, atMilliseconds: 1_795_430_000_000, device: "00000000-0000-4000-8000-0000000000a1", action: "deliver",
                   subjectsText: AuditSubject.encode(subjects), previousHash: "", hash: ""),
        AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "enrol-device",
                   subjectsText: AuditSubject.encode([subjects[1]]), previousHash: "", hash: ""),
    ])
    func theHashedBytesAreTheCanonicalJSONOfTheEntry(entry: AuditEntry) throws {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let subjects = try #require(entry.subjects)
        let generic = JSONValue.object([
            "id": .integer(entry.id), "at": .integer(entry.atMilliseconds), "device": .string(entry.device),
            "action": .string(entry.action),
            "subjects": .array(subjects.map { subject in
                .object(["clinician": optional(subject.clinician), "units": .array(subject.units.map(JSONValue.string)),
                         "patient": optional(subject.patient), "collection": optional(subject.collection),
                         "record": optional(subject.recordID)])
            }),
        ]).canonicalBytes
        #expect(entry.canonicalBytes == generic)
    }

    @Test func subjectsReadBackAsTheyWereWritten() {
        let entry = AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "deliver",
                               subjectsText: AuditSubject.encode(Self.subjects), previousHash: "", hash: "")
        #expect(entry.subjects == Self.subjects)
    }
}
