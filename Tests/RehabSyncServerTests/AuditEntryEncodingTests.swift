import RehabSyncCore
@testable import RehabSyncServer
import Testing

struct AuditEntryEncodingTests {
    /// The hand-written encoding must equal the generic canonical one, or a verifier
    /// written elsewhere (from the stored columns) would disagree with our chain.
    @Test(arguments: [
        AuditEntry(id: 7, atMilliseconds: 1_795_430_000_000, device: "00000000-0000-4000-8000-0000000000a1",
                   clinician: "SE2321000016-N003", units: ["SE2321000016-A001", "SE2321000016-B002"], patient: "191212121212",
                   collection: "carePlans", recordID: "p\"1", action: "deliver", previousHash: "", hash: ""),
        AuditEntry(id: 1, atMilliseconds: 0, device: "admin", clinician: nil, units: [], patient: nil, collection: nil,
                   recordID: nil, action: "enrol-device", previousHash: "", hash: ""),
    ])
    func theHashedBytesAreTheCanonicalJSONOfTheEntry(entry: AuditEntry) {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let generic = JSONValue.object([
            "id": .integer(entry.id), "at": .integer(entry.atMilliseconds), "device": .string(entry.device),
            "clinician": optional(entry.clinician), "units": .array(entry.units.map(JSONValue.string)),
            "patient": optional(entry.patient), "collection": optional(entry.collection), "record": optional(entry.recordID),
            "action": .string(entry.action),
        ]).canonicalBytes
        #expect(entry.canonicalBytes == generic)
    }
}
