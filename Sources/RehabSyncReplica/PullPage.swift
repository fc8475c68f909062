import RehabSyncCore
import RehabSyncDomain
import RehabSyncStorage

/// One page of a pull as a replica reads it: every state checked, ready to join. A state
/// in exactly canonical form (what the server sends) is checked in one pass and kept as
/// bytes with the fields its placement reads; any other is decoded in full.
public struct PullPage: Sendable {
    public let records: [ReceivedRecord]
    public let nextCursor: Int64
    public let hasMore: Bool
    /// Records the device no longer sees: it removes them.
    public let removed: [RecordKey]

    /// The page's `hasMore` and `nextCursor` read from its opening bytes, without decoding
    /// its records, so that a client can ask for the next page while it decodes this one.
    /// The server writes them first (members in canonical order); nil when a page does not
    /// begin `{"hasMore":<bool>,"nextCursor":<integer>,`, and then only a full decode tells.
    public static func cursor(peekingAt body: [UInt8]) -> (hasMore: Bool, nextCursor: Int64)? {
        func expect(_ literal: String, at offset: inout Int) -> Bool {
            let bytes = Array(literal.utf8)
            guard body.count >= offset + bytes.count, body[offset..<(offset + bytes.count)].elementsEqual(bytes) else { return false }
            offset += bytes.count
            return true
        }
        var offset = 0
        guard expect(#"{"hasMore":"#, at: &offset) else { return nil }
        let hasMore: Bool
        if expect("true", at: &offset) {
            hasMore = true
        } else if expect("false", at: &offset) {
            hasMore = false
        } else {
            return nil
        }
        guard expect(#","nextCursor":"#, at: &offset) else { return nil }
        // Sequence numbers stay below 2^53 (16 digits); more digits than that are not a
        // cursor this server wrote, and stopping there keeps the sum from overflowing.
        var cursor: Int64 = 0
        var digits = 0
        while offset < body.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(body[offset]), digits < 16 {
            cursor = cursor * 10 + Int64(body[offset] - UInt8(ascii: "0"))
            offset += 1
            digits += 1
        }
        guard digits > 0, offset < body.count, body[offset] == UInt8(ascii: ",") else { return nil }
        return (hasMore, cursor)
    }

    /// The keys of a page's `removed` entries.
    private static func removals(_ value: JSONValue) throws(CoreError) -> [RecordKey] {
        guard let entries = value.arrayValue else { throw CoreError(.wrongType, "removed is an array", field: "removed") }
        var keys: [RecordKey] = []
        for (index, entry) in entries.enumerated() {
            let members: [String: JSONValue] = entry.objectValue ?? [:]
            let collection: String? = members["collection"]?.stringValue
            let id: String? = members["id"]?.stringValue
            guard let collection, let id else {
                throw CoreError(.missingKey, "a removal lacks collection or id", field: "removed[\(index)]")
            }
            keys.append(RecordKey(collection: collection, recordID: id))
        }
        return keys
    }

    private static let recordMembers = JSONMemberNames(["collection", "id", "state"])

    /// Decodes a page in one streaming pass; `cursor` is kept if the page names none.
    /// Of a canonical state, the fields in `keeping` are decoded and the rest checked.
    ///
    /// - Parameter joiningHeld: Whether the page's records will mostly join records the
    ///   device holds (it has pulled before): then each canonical state's sibling runs are
    ///   noted as it is checked, so that its join need not check it again
    ///   (``JSONParser/readCanonicalState(keeping:collectingSiblingRuns:)``).
    public init(decoding body: [UInt8], cursor: Int64, keeping: Set<String> = DomainPlacement.fieldsRead,
                joiningHeld: Bool = false) throws(CoreError) {
        // Turned into bytes once for the page, not for each of its states.
        let keeping = CanonicalFieldNames(keeping)
        var records: [ReceivedRecord] = []
        var next = cursor
        var hasMore = false
        var removed: [RecordKey] = []
        var reader = JSONParser(body)
        try reader.readObject(path: "") { reader, key throws(CoreError) in
            switch key {
            case "hasMore": hasMore = try reader.readValue() == .bool(true)
            case "nextCursor": next = try reader.readValue().integerValue ?? cursor
            case "records":
                try reader.readArray(path: "records") { reader, index throws(CoreError) in
                    var collection: String?
                    var id: String?
                    var state: ReceivedRecord.State?
                    try reader.readObject(path: "records[\(index)]", names: Self.recordMembers, skippingUnknown: true) {
                        reader, member throws(CoreError) in
                        switch member {
                        case 0: collection = try reader.readValue().stringValue
                        case 1: id = try reader.readValue().stringValue
                        default:
                            if let canonical = reader.readCanonicalState(keeping: keeping, collectingSiblingRuns: joiningHeld) {
                                state = .canonical(canonical)
                            } else {
                                state = .decoded(try RecordState(reading: &reader, path: "records[\(index)].state"))
                            }
                        }
                    }
                    guard let collection, let id, let state else {
                        throw CoreError(.missingKey, "a pulled record lacks collection, id or state", field: "records[\(index)]")
                    }
                    records.append(ReceivedRecord(key: RecordKey(collection: collection, recordID: id), state: state))
                }
            case "removed":
                removed = try Self.removals(try reader.readValue())
            default: _ = try reader.readValue()
            }
        }
        try reader.finish()
        self.removed = removed
        self.records = records
        nextCursor = next
        self.hasMore = hasMore
    }
}
