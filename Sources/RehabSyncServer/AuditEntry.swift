import RehabSyncCore

/// One entry of the access log that PDL and HSLF-FS 2016:40 ask for: which device did
/// what, when, and to which records, each with its clinician(s), care units and patient.
///
/// One request makes one entry per action, however many records it touched: a pull page
/// of 5,000 records is one `deliver` entry with 5,000 subjects. Entries are chained: each
/// one's hash covers the previous hash and the entry's canonical encoding, subjects
/// included, so editing any subject breaks the chain as surely as editing the entry.
public struct AuditEntry: Hashable, Sendable {
    public let id: Int64
    public let atMilliseconds: Int64
    /// The device's replica id, or `admin` for administrative calls.
    public let device: String
    public let action: String
    /// The subjects as stored, in either form ``AuditSubjectsWriter`` describes: the
    /// canonical JSON the hash covers.
    public let subjectsText: [UInt8]
    public let previousHash: String
    public let hash: String

    /// What the hash covers besides the previous hash: every field but the hashes, as
    /// canonical JSON (keys in byte order), with the stored subjects copied in as they are.
    var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter(capacity: 128 + subjectsText.count)
        writeCanonical(to: &writer)
        return writer.bytes
    }

    /// What the seal covers: the previous seal's text, then ``canonicalBytes``, written
    /// once rather than joined from two copies (a pull page's entry is hundreds of kB).
    func sealedBytes(previous: String) -> [UInt8] {
        var writer = CanonicalWriter(capacity: 192 + subjectsText.count)
        var previous = previous
        previous.withUTF8 { writer.append($0) }
        writeCanonical(to: &writer)
        return writer.bytes
    }

    private func writeCanonical(to writer: inout CanonicalWriter) {
        writer.append(#"{"action":"#)
        writer.appendString(action)
        writer.append(#","at":"#)
        writer.appendInteger(atMilliseconds)
        writer.append(#","device":"#)
        writer.appendString(device)
        writer.append(#","id":"#)
        writer.appendInteger(id)
        writer.append(#","subjects":"#)
        subjectsText.withUnsafeBufferPointer { writer.append($0) }
        writer.append(UInt8(ascii: "}"))
    }

    /// The subjects decoded, from either form; nil if the stored text is not what the log
    /// writes.
    var subjects: [AuditSubject]? {
        guard let json = try? JSONParser.parse(subjectsText) else { return nil }
        if let array = json.arrayValue {
            return Self.decode(array) { AuditSubject(json: $0) }
        }
        // The shared form: one clinician, then each subject as a positional array.
        guard let members = json.objectValue, members.count == 2, let clinician = members["clinician"],
            clinician == .null || clinician.stringValue != nil, let array = members["subjects"]?.arrayValue
        else { return nil }
        return Self.decode(array) { AuditSubject(clinician: clinician.stringValue, positional: $0) }
    }

    private static func decode(_ array: [JSONValue], _ subject: (JSONValue) -> AuditSubject?) -> [AuditSubject]? {
        var subjects: [AuditSubject] = []
        subjects.reserveCapacity(array.count)
        for element in array {
            guard let subject = subject(element) else { return nil }
            subjects.append(subject)
        }
        return subjects
    }

    /// One subject of the entry as an extract shows it: the entry's who, what and when
    /// with the subject's record, patient, units and clinician.
    func json(_ subject: AuditSubject) -> JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        return .object([
            "id": .integer(id), "at": .integer(atMilliseconds), "device": .string(device),
            "clinician": optional(subject.clinician), "units": .array(subject.units.map(JSONValue.string)),
            "patient": optional(subject.patient), "collection": optional(subject.collection), "record": optional(subject.recordID),
            "action": .string(action), "hash": .string(hash),
        ])
    }
}

/// What one audit entry is about: a record (with its patient and care units), or for
/// administrative actions a device or a unit.
struct AuditSubject: Hashable, Sendable {
    /// HSA-id(s) of the clinician(s), comma-separated when one write carried several.
    let clinician: String?
    let units: [String]
    let patient: String?
    let collection: String?
    let recordID: String?

    /// The canonical JSON array of `subjects`, as stored and hashed.
    static func encode(_ subjects: [AuditSubject]) -> [UInt8] {
        AuditSubjectsWriter(subjects).finish().text
    }

    init(clinician: String?, units: [String], patient: String?, collection: String?, recordID: String?) {
        self.clinician = clinician
        self.units = units
        self.patient = patient
        self.collection = collection
        self.recordID = recordID
    }

    /// A subject of the shared form: `[collection,record,patient,[units…]]`.
    init?(clinician: String?, positional json: JSONValue) {
        func text(_ value: JSONValue) -> String?? {
            value == .null ? .some(nil) : value.stringValue.map { .some($0) }
        }
        guard let fields = json.arrayValue, fields.count == 4, let collection = text(fields[0]), let recordID = text(fields[1]),
            let patient = text(fields[2]), let units = fields[3].arrayValue
        else { return nil }
        self.clinician = clinician
        self.units = units.compactMap(\.stringValue)
        self.patient = patient
        self.collection = collection
        self.recordID = recordID
    }

    init?(json: JSONValue) {
        guard let members = json.objectValue, let units = members["units"]?.arrayValue else { return nil }
        clinician = members["clinician"]?.stringValue
        self.units = units.compactMap(\.stringValue)
        patient = members["patient"]?.stringValue
        collection = members["collection"]?.stringValue
        recordID = members["record"]?.stringValue
    }
}

/// The actions the log records.
enum AuditAction: String, Sendable {
    /// Records changed by a push.
    case write
    /// Records delivered in a pull.
    case deliver
    /// A record read one at a time.
    case read
    case enrolDevice = "enrol-device"
    case revokeDevice = "revoke-device"
    /// A device's token moved to another replica instance, or took a fresh replica id.
    case rebindDevice = "rebind-device"
    /// Records opened to a unit were closed again (a handover voided or redirected).
    case revokeGrant = "revoke-grant"
    /// Records opened to another unit (a handover's receiving unit).
    case grant
    /// A patient's log extract was taken.
    case extract
    /// An administrator dumped a unit's records.
    case dump
    /// A clinician opened a record on a device (reported by the device at its next sync).
    case deviceRead = "device-read"
    /// A clinician listed a patient's records on a device.
    case deviceList = "device-list"
    /// A clinician reviewed conflicts on a device.
    case deviceConflictReview = "device-conflict-review"
}
