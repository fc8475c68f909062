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
/// page: text that needs no escape (identifiers always) is copied whole after an
/// eight-bytes-at-a-time check.
struct AuditSubjectsWriter: ~Copyable {
    /// The text so far. The writer owns it so that a field is copied in with a capacity check
    /// and a plain copy: a call into ``CanonicalWriter`` per field cost more than the copying.
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
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
        var opening = CanonicalWriter(capacity: 64)
        opening.append(#"{"clinician":"#)
        if let clinician { opening.appendString(clinician) } else { opening.append("null") }
        opening.append(#","subjects":["#)
        opening.withBytes { put($0) }
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
            put(UInt8(ascii: "["))
            for subject in subjects {
                append(clinician: subject.clinician, units: subject.units, patient: subject.patient,
                       collection: subject.collection, recordID: subject.recordID)
            }
        }
    }

    private init(shared: Bool, expectedCount: Int) {
        self.shared = shared
        capacity = 64 + expectedCount * (shared ? 96 : 160)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        patients.reserveCapacity(expectedCount)
    }

    deinit {
        base.deallocate()
    }

    /// Appends one subject of the shared form: `[collection,record,patient,[units…]]`.
    mutating func append(units: [String], patient: String?, collection: String?, recordID: String?) {
        precondition(shared, "a subject without its clinician goes to a writer of the shared form")
        if subjects > 0 { put(UInt8(ascii: ",")) }
        put(UInt8(ascii: "["))
        putOptional(collection)
        put(UInt8(ascii: ","))
        putOptional(recordID)
        put(UInt8(ascii: ","))
        putOptional(patient)
        put(",[")
        putUnits(units)
        put("]]")
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
        if subjects > 0 { put(UInt8(ascii: ",")) }
        opening.withUnsafeBufferPointer { put($0) }
        putOptional(collection)
        put(#","patient":"#)
        putOptional(patient)
        put(#","record":"#)
        putOptional(recordID)
        put(#","units":["#)
        putUnits(units)
        put("]}")
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
        put(shared ? "]}" : "]")
        return (Array(UnsafeBufferPointer(start: base, count: count)), patients)
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(by: extra) }
    }

    // Out of line: it runs a few times a page, and the check above on every field.
    @inline(never)
    private mutating func grow(by extra: Int) {
        let newCapacity = max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    private mutating func put(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    private mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    private mutating func put(_ literal: StaticString) {
        literal.withUTF8Buffer { put($0) }
    }

    private mutating func putUnits(_ units: [String]) {
        for (offset, unit) in units.enumerated() {
            if offset > 0 { put(UInt8(ascii: ",")) }
            putString(unit)
        }
    }

    private mutating func putOptional(_ text: String?) {
        if let text { putString(text) } else { put("null") }
    }

    /// A quoted JSON string: copied whole when it needs no escape, as identifiers never
    /// do, else escaped by ``CanonicalWriter/appendString(utf8:)``.
    private mutating func putString(_ text: String) {
        // Native strings lend their bytes in place; only another kind needs a copy first.
        if text.utf8.withContiguousStorageIfAvailable({ putString(utf8: $0) }) == nil {
            var text = text
            text.withUTF8 { putString(utf8: $0) }
        }
    }

    private mutating func putString(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        if Self.needsNoEscape(bytes) {
            put(UInt8(ascii: "\""))
            put(bytes)
            put(UInt8(ascii: "\""))
        } else {
            var escaped = CanonicalWriter(capacity: bytes.count * 6 + 2)
            escaped.appendString(utf8: bytes)
            escaped.withBytes { put($0) }
        }
    }

    /// True when `bytes` hold no `"`, `\` or control character, the bytes JSON escapes.
    /// Eight bytes at a time: a byte below 0x20 (or equal to `"` or `\` after the XOR) makes
    /// the subtraction borrow into its top bit while the byte's own top bit was clear; bytes
    /// of 0x80 and above (UTF-8 beyond ASCII) have it set and never count.
    static func needsNoEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= 8 else {
            return !bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
        let ones: UInt64 = 0x0101_0101_0101_0101
        func flagged(at offset: Int) -> UInt64 {
            let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            return ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        }
        var found: UInt64 = 0
        var offset = 0
        while offset + 8 < bytes.count {
            found |= flagged(at: offset)
            offset += 8
        }
        // The last eight bytes, overlapping some already seen: seeing a byte twice is harmless.
        found |= flagged(at: bytes.count - 8)
        return found & 0x8080_8080_8080_8080 == 0
    }
}
