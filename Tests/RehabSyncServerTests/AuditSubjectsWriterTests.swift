import RehabSyncCore
@testable import RehabSyncServer
import Testing

/// The writer's shortcuts (the clinician escaped once, plain text copied whole) must give
/// the bytes of the generic canonical encoding, whatever the text holds.
struct AuditSubjectsWriterTests {
    /// The generic canonical encoding of `subjects`, as a verifier written elsewhere would
    /// produce it: the shared form for one clinician, an object per subject for several.
    private static func generic(_ subjects: [AuditSubject]) -> [UInt8] {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        if Set(subjects.map(\.clinician)).count <= 1 {
            return JSONValue.object(["clinician": optional(subjects.first?.clinician), "subjects": .array(subjects.map { subject in
                .array([optional(subject.collection), optional(subject.recordID), optional(subject.patient),
                        .array(subject.units.map(JSONValue.string))])
            })]).canonicalBytes
        }
        return JSONValue.array(subjects.map { subject in
            .object(["clinician": optional(subject.clinician), "units": .array(subject.units.map(JSONValue.string)),
                     "patient": optional(subject.patient), "collection": optional(subject.collection),
                     "record": optional(subject.recordID)])
        }).canonicalBytes
    }

    @Test("text that needs escaping, or not, at any place and length, is written as the generic encoding writes it")
    func escapesAsTheGenericEncodingDoes() {
        let awkward: [Character] = ["\"", "\\", "\n", "\u{01}", "\u{1f}", "\t", "Å", "é", "😀", " ", "~", "\u{7f}"]
        var subjects: [AuditSubject] = []
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 36] {
            for position in 0..<max(length, 1) {
                for character in awkward {
                    var text = Array(repeating: Character("a"), count: length)
                    if length > 0 { text[position] = character }
                    let value = String(text)
                    subjects.append(AuditSubject(clinician: value, units: [value, "SE2321000016-A001"], patient: value,
                                                 collection: value, recordID: value))
                }
            }
        }
        #expect(AuditSubject.encode(subjects) == Self.generic(subjects))
        // The same text in the shared form, behind one awkward clinician.
        let shared = subjects.map {
            AuditSubject(clinician: "N\"3\u{01}Å", units: $0.units, patient: $0.patient, collection: $0.collection, recordID: $0.recordID)
        }
        #expect(AuditSubject.encode(shared) == Self.generic(shared))
        #expect(AuditEntry(id: 1, atMilliseconds: 0, device: "admin", action: "deliver", subjectsText: AuditSubject.encode(shared),
                           previousHash: "", hash: "").subjects == shared)
    }

    @Test("the clinician may change, or be missing, from one subject to the next")
    func clinicianChangesBetweenSubjects() {
        let subjects = [
            AuditSubject(clinician: "SE2321000016-N003", units: ["SE2321000016-A001"], patient: "191212121212", collection: "carePlans", recordID: "p1"),
            AuditSubject(clinician: "SE2321000016-N003", units: [], patient: nil, collection: "carePlans", recordID: "p2"),
            AuditSubject(clinician: nil, units: ["SE2321000016-A001"], patient: nil, collection: nil, recordID: nil),
            AuditSubject(clinician: "SE2321000016-N004", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: "197010632391",
                         collection: "carePlans", recordID: "p3"),
            AuditSubject(clinician: nil, units: [], patient: "191212121212", collection: "carePlans", recordID: "p4"),
        ]
        #expect(AuditSubject.encode(subjects) == Self.generic(subjects))
        #expect(AuditSubject.encode(Array(subjects[2...3])) == Self.generic(Array(subjects[2...3])))
        #expect(AuditSubject.encode([subjects[2]]) == Self.generic([subjects[2]]))
    }

    @Test("a writer told to expect nothing grows for every subject it is given")
    func growsFromNothing() {
        var subjects: [AuditSubject] = []
        for index in 0..<300 {
            let text = String(repeating: index % 3 == 0 ? "\u{01}" : "x", count: index % 40)
            subjects.append(AuditSubject(clinician: "SE2321000016-N003", units: Array(repeating: text, count: index % 4),
                                         patient: index % 5 == 0 ? nil : text, collection: index % 7 == 0 ? nil : "carePlans",
                                         recordID: index % 2 == 0 ? nil : text))
        }
        var writer = AuditSubjectsWriter(clinician: "SE2321000016-N003", expectedCount: 0)
        for subject in subjects {
            writer.append(units: subject.units, patient: subject.patient, collection: subject.collection, recordID: subject.recordID)
        }
        #expect(writer.finish().text == Self.generic(subjects))
    }

    @Test("the patients named are each patient of the subjects, once")
    func patientsAreTheDistinctPatients() {
        let patients = ["191212121212", "197010632391", "191212121212", "191212121212", "197010632391"]
        var writer = AuditSubjectsWriter(clinician: "SE2321000016-N003", expectedCount: 1)
        for (index, patient) in patients.enumerated() {
            writer.append(units: [], patient: patient, collection: "carePlans", recordID: "p\(index)")
        }
        writer.append(units: [], patient: nil, collection: nil, recordID: nil)
        #expect(writer.finish().patients == Set(patients))
        let mixed = patients.enumerated().map { index, patient in
            AuditSubject(clinician: "SE2321000016-N00\(index)", units: [], patient: patient, collection: "carePlans", recordID: "p\(index)")
        }
        #expect(AuditSubjectsWriter(mixed).finish().patients == Set(patients))
    }
}
