import RehabSyncCore
@testable import RehabSyncServer
import Testing

/// The subjects of an entry are encoded with the parts they share written once; the bytes
/// must be those of the generic canonical encoding whatever repeats and whatever does not.
struct AuditSubjectEncodingTests {
    @Test("subjects sharing and not sharing clinician, collection and units encode as the generic canonical JSON")
    func subjectsSharingAndNotSharingClinicianCollectionAndUnitsEncodeAsTheGenericCanonicalJSON() throws {
        let composed = "v\u{E5}rdplan"
        let decomposed = "va\u{30A}rdplan"
        #expect(composed == decomposed && !composed.utf8.elementsEqual(decomposed.utf8))
        let subjects = [
            AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001"], patient: "191212121212", collection: "carePlans", recordID: "p1"),
            AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001"], patient: "191212121212", collection: "carePlans", recordID: "p2"),
            AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: "201212121212",
                         collection: "carePlans", recordID: "p\"3"),
            AuditSubject(clinician: "SE2321000016-N004", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: nil,
                         collection: composed, recordID: "p4"),
            // Equal as Swift strings, not in bytes: must not reuse the previous encoding.
            AuditSubject(clinician: "SE2321000016-N004", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: nil,
                         collection: decomposed, recordID: "p5"),
            AuditSubject(clinician: nil, units: [], patient: nil, collection: nil, recordID: nil),
            AuditSubject(clinician: nil, units: [], patient: "191212121212", collection: nil, recordID: "p6"),
        ]
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let generic = JSONValue.array(subjects.map { subject in
            .object(["clinician": optional(subject.clinician), "units": .array(subject.units.map(JSONValue.string)),
                     "patient": optional(subject.patient), "collection": optional(subject.collection), "record": optional(subject.recordID)])
        }).canonicalBytes
        let encoded = AuditSubject.encode(subjects)
        #expect(encoded == generic)
        let entry = AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "write", subjectsText: encoded, previousHash: "", hash: "")
        let read = try #require(entry.subjects)
        #expect(read.map { $0.collection.map { Array($0.utf8) } } == subjects.map { $0.collection.map { Array($0.utf8) } })
    }
}
