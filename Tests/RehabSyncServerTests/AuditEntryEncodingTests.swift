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
        AuditEntry(id: 8, atMilliseconds: 1_795_430_000_000, device: "00000000-0000-4000-8000-0000000000a1", action: "deliver",
                   subjectsText: AuditSubject.encode([subjects[0], subjects[0]]), previousHash: "", hash: ""),
        AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "enrol-device",
                   subjectsText: AuditSubject.encode([subjects[1]]), previousHash: "", hash: ""),
    ])
    func theHashedBytesAreTheCanonicalJSONOfTheEntry(entry: AuditEntry) throws {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let subjects = try #require(entry.subjects)
        let clinicians = Set(subjects.map(\.clinician))
        // One clinician: the shared form; several: an object per subject.
        let subjectsJSON: JSONValue = clinicians.count == 1
            ? .object(["clinician": optional(subjects[0].clinician), "subjects": .array(subjects.map { subject in
                .array([optional(subject.collection), optional(subject.recordID), optional(subject.patient),
                        .array(subject.units.map(JSONValue.string))])
            })])
            : .array(subjects.map { subject in
                .object(["clinician": optional(subject.clinician), "units": .array(subject.units.map(JSONValue.string)),
                         "patient": optional(subject.patient), "collection": optional(subject.collection),
                         "record": optional(subject.recordID)])
            })
        let generic = JSONValue.object([
            "id": .integer(entry.id), "at": .integer(entry.atMilliseconds), "device": .string(entry.device),
            "action": .string(entry.action), "subjects": subjectsJSON,
        ]).canonicalBytes
        #expect(entry.canonicalBytes == generic)
    }

    /// The text of an entry written before the shared form, byte for byte as the log wrote it.
    static let perSubjectText = Array(#"[{"clinician":"SE2321000016-N003","collection":"carePlans","patient":"191212121212","record":"p1","units":["SE2321000016-A001"]},{"clinician":"SE2321000016-N003","collection":"carePlans","patient":"191212121212","record":"p2","units":["SE2321000016-A001","SE2321000016-B002"]}]"#.utf8)

    @Test("subjects stored one object each, as every entry before the shared form, still read back")
    func subjectsOfThePerSubjectFormReadBack() {
        let entry = AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "deliver",
                               subjectsText: Self.perSubjectText, previousHash: "", hash: "")
        #expect(entry.subjects == [
            AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001"], patient: "191212121212",
                         collection: "carePlans", recordID: "p1"),
            AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: "191212121212",
                         collection: "carePlans", recordID: "p2"),
        ])
    }

    @Test("text of neither form is not taken for subjects", arguments: [
        #"{"clinician":"SE2321000016-N003"}"#, #"{"clinician":1,"subjects":[]}"#,
        #"{"clinician":null,"subjects":[["carePlans","p1",null]]}"#, #"{"clinician":null,"subjects":[[1,"p1",null,[]]]}"#,
        #"{"clinician":null,"subjects":[["carePlans","p1",null,[]]],"extra":1}"#, #""text""#,
    ])
    func malformedSubjectsAreRefused(text: String) {
        let entry = AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "deliver",
                               subjectsText: Array(text.utf8), previousHash: "", hash: "")
        #expect(entry.subjects == nil)
    }

    @Test func subjectsReadBackAsTheyWereWritten() {
        let entry = AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "deliver",
                               subjectsText: AuditSubject.encode(Self.subjects), previousHash: "", hash: "")
        #expect(entry.subjects == Self.subjects)
    }
}
