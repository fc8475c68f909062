import RehabSyncCore
import RehabSyncStorage

/// One page of a pull as a replica reads it: every state decoded in full, ready to join.
public struct PullPage: Sendable {
    public let records: [IncomingRecord]
    public let nextCursor: Int64
    public let hasMore: Bool

    private static let recordMembers = JSONMemberNames(["collection", "id", "state"])

    /// Decodes a page in one streaming pass; `cursor` is kept if the page names none.
    public init(decoding body: [UInt8], cursor: Int64) throws(CoreError) {
        var records: [IncomingRecord] = []
        var next = cursor
        var hasMore = false
        var reader = JSONParser(body)
        try reader.readObject(path: "") { reader, key throws(CoreError) in
            switch key {
            case "hasMore": hasMore = try reader.readValue() == .bool(true)
            case "nextCursor": next = try reader.readValue().integerValue ?? cursor
            case "records":
                try reader.readArray(path: "records") { reader, index throws(CoreError) in
                    var collection: String?
                    var id: String?
                    var state: RecordState?
                    try reader.readObject(path: "records[\(index)]", names: Self.recordMembers, skippingUnknown: true) {
                        reader, member throws(CoreError) in
                        switch member {
                        case 0: collection = try reader.readValue().stringValue
                        case 1: id = try reader.readValue().stringValue
                        default: state = try RecordState(reading: &reader, path: "records[\(index)].state")
                        }
                    }
                    guard let collection, let id, let state else {
                        throw CoreError(.missingKey, "a pulled record lacks collection, id or state", field: "records[\(index)]")
                    }
                    records.append(IncomingRecord(key: RecordKey(collection: collection, recordID: id), state: state))
                }
            default: _ = try reader.readValue()
            }
        }
        try reader.finish()
        self.records = records
        nextCursor = next
        self.hasMore = hasMore
    }
}
