import RehabSyncCore

/// Builds the stored subjects of one audit entry, the canonical JSON that the entry's seal
/// covers, together with the distinct patients the entry is about (for the extract index).
///
/// Two forms, both canonical JSON (keys in byte order):
/// - shared, when one clinician stands behind every subject (a pull page, most pushes):
///   `{"clinician":C,"subjects":[[collection,record,patient,[units…]],…]}`, the clinician
///   once and each subject as a positional array, half the bytes to store and to seal;
/// - per subject, the only form before shared entries were written, and still the form of
///   an entry whose subjects name different clinicians:
///   `[{"clinician","collection","patient","record","units"},…]`.
/// ``AuditEntry/subjects`` reads both, so entries written before keep verifying and
/// extracting (the seal covers the stored text as it is, whichever its form).
///
/// A pull page logs one subject per delivered record, so this runs thousands of times a
/// page: the clinician is written once, and each field goes through ``CanonicalWriter``,
/// which copies text that needs no escape (identifiers always) eight bytes at a time.
struct AuditSubjectsWriter: ~Copyable {
    /// The text so far.
    private var writer: CanonicalWriter
    private var subjects = 0
    /// True for the shared form.
    private let shared: Bool
    /// The per-subject form: the clinician of the last subject and the opening it gives a
    /// subject, `{"clinician":…,"collection":`.
    private var clinician: String?
    private var opening: [UInt8] = []
    private var patients = Set<String>()
    private var lastPatient: String?

    /// A writer of the shared form: every subject by `clinician` (nil: by none).
    init(clinician: String?, expectedCount: Int) {
        self.init(shared: true, expectedCount: expectedCount)
        writer.append(#"{"clinician":"#)
        putOptional(clinician)
        writer.append(#","subjects":["#)
    }

    /// A writer holding `subjects`, in the shared form when they name one clinician.
    init(_ subjects: [AuditSubject]) {
        let clinician = subjects.first?.clinician
        if subjects.allSatisfy({ $0.clinician == clinician }) {
            self.init(clinician: clinician, expectedCount: subjects.count)
            for subject in subjects {
                append(units: subject.units, patient: subject.patient, collection: subject.collection, recordID: subject.recordID)
            }
        } else {
            self.init(shared: false, expectedCount: subjects.count)
            writer.append(UInt8(ascii: "["))
            for subject in subjects {
                append(clinician: subject.clinician, units: subject.units, patient: subject.patient,
                       collection: subject.collection, recordID: subject.recordID)
            }
        }
    }

    private init(shared: Bool, expectedCount: Int) {
        self.shared = shared
        writer = CanonicalWriter(capacity: 64 + expectedCount * (shared ? 96 : 160))
        patients.reserveCapacity(expectedCount)
    }

    /// Appends one subject of the shared form: `[collection,record,patient,[units…]]`.
    mutating func append(units: [String], patient: String?, collection: String?, recordID: String?) {
        precondition(shared, "a subject without its clinician goes to a writer of the shared form")
        if subjects > 0 { writer.append(UInt8(ascii: ",")) }
        writer.append(UInt8(ascii: "["))
        putOptional(collection)
        writer.append(UInt8(ascii: ","))
        putOptional(recordID)
        writer.append(UInt8(ascii: ","))
        putOptional(patient)
        writer.append(",[")
        putUnits(units)
        writer.append("]]")
        noteSubject(patient: patient)
    }

    /// Appends one subject of the per-subject form.
    private mutating func append(clinician: String?, units: [String], patient: String?, collection: String?, recordID: String?) {
        if opening.isEmpty || clinician != self.clinician {
            var opening = CanonicalWriter(capacity: 64)
            opening.append(#"{"clinician":"#)
            if let clinician { opening.appendString(clinician) } else { opening.append("null") }
            opening.append(#","collection":"#)
            self.opening = opening.bytes
            self.clinician = clinician
        }
        if subjects > 0 { writer.append(UInt8(ascii: ",")) }
        opening.withUnsafeBufferPointer { writer.append($0) }
        putOptional(collection)
        writer.append(#","patient":"#)
        putOptional(patient)
        writer.append(#","record":"#)
        putOptional(recordID)
        writer.append(#","units":["#)
        putUnits(units)
        writer.append("]}")
        noteSubject(patient: patient)
    }

    private mutating func noteSubject(patient: String?) {
        subjects += 1
        // Records of one patient tend to come together; the set is asked only on a change.
        if let patient, patient != lastPatient {
            patients.insert(patient)
            lastPatient = patient
        }
    }

    /// The stored subjects text and the distinct patients it names.
    consuming func finish() -> (text: [UInt8], patients: Set<String>) {
        writer.append(shared ? "]}" : "]")
        return (writer.bytes, patients)
    }

    private mutating func putUnits(_ units: [String]) {
        for (offset, unit) in units.enumerated() {
            if offset > 0 { writer.append(UInt8(ascii: ",")) }
            writer.appendString(unit)
        }
    }

    private mutating func putOptional(_ text: String?) {
        if let text { writer.appendString(text) } else { writer.append("null") }
    }
}
