import RehabSyncCore

/// One entry of the access log that PDL and HSLF-FS 2016:40 ask for: who (device and
/// clinician), which care units, which patient and record, what action, when. Entries are
/// chained: each one's hash covers the previous hash and its own canonical encoding.
public struct AuditEntry: Hashable, Sendable {
    public let id: Int64
    public let atMilliseconds: Int64
    /// The device's replica id, or `admin` for administrative calls.
    public let device: String
    /// HSA-id(s) of the clinician(s), comma-separated when one write carried several.
    public let clinician: String?
    public let units: [String]
    public let patient: String?
    public let collection: String?
    public let recordID: String?
    public let action: String
    public let previousHash: String
    public let hash: String

    /// What the hash covers besides the previous hash: every field but the hashes, as
    /// canonical JSON (keys in byte order). Written directly: one entry per delivered
    /// record makes this hot on every pull.
    var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter(capacity: 256)
        func optional(_ text: String?) {
            if let text { writer.appendString(text) } else { writer.append("null") }
        }
        writer.append(#"{"action":"#)
        writer.appendString(action)
        writer.append(#","at":"#)
        writer.appendInteger(atMilliseconds)
        writer.append(#","clinician":"#)
        optional(clinician)
        writer.append(#","collection":"#)
        optional(collection)
        writer.append(#","device":"#)
        writer.appendString(device)
        writer.append(#","id":"#)
        writer.appendInteger(id)
        writer.append(#","patient":"#)
        optional(patient)
        writer.append(#","record":"#)
        optional(recordID)
        writer.append(#","units":["#)
        for (offset, unit) in units.enumerated() {
            if offset > 0 { writer.append(UInt8(ascii: ",")) }
            writer.appendString(unit)
        }
        writer.append("]}")
        return writer.bytes
    }

    /// The entry as JSON for an extract.
    var json: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        return .object([
            "id": .integer(id), "at": .integer(atMilliseconds), "device": .string(device),
            "clinician": optional(clinician), "units": .array(units.map(JSONValue.string)),
            "patient": optional(patient), "collection": optional(collection), "record": optional(recordID),
            "action": .string(action), "hash": .string(hash),
        ])
    }
}

/// An entry about to be appended; the log gives it its id, time and hashes.
struct AuditDraft: Sendable {
    let device: String
    let clinician: String?
    let units: [String]
    let patient: String?
    let collection: String?
    let recordID: String?
    let action: AuditAction
}

/// The actions the log records.
enum AuditAction: String, Sendable {
    /// A record changed by a push.
    case write
    /// A record delivered in a pull.
    case deliver
    /// A record read one at a time.
    case read
    case enrolDevice = "enrol-device"
    case revokeDevice = "revoke-device"
    /// A record was opened to another unit (a handover's receiving unit).
    case grant
    /// A patient's log extract was taken.
    case extract
    /// An administrator dumped a unit's records.
    case dump
}
