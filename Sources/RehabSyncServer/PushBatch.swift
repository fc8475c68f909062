import RehabSyncCore
import RehabSyncStorage

/// A push request: full states of records changed on a replica.
///
/// `{"records":[{"collection":"carePlans","id":"<record id>","state":{<canonical state>}}]}`
struct PushBatch: Sendable {
    let records: [IncomingRecord]

    /// Parses and checks the shape of every record before anything is stored; the first
    /// problem is reported with its path (`records[3].state.fields.title[0].dot`). Broken
    /// JSON anywhere is a 400; a well-formed but invalid state is a 422.
    init(json bytes: [UInt8], maximumRecords: Int) throws(SyncError) {
        var reader = JSONParser(bytes)
        var records: [IncomingRecord] = []
        // A record takes a few hundred bytes at the least: room for the keys of most batches.
        var seen = RecordKeySet(capacity: min(maximumRecords, bytes.count / 256))
        var sawRecords = false
        do {
            try reader.readObject(path: "") { reader, key throws(CoreError) in
                guard key == "records" else { throw CoreError.unknownMember(key) }
                sawRecords = true
                try reader.readArray(path: "records") { reader, index throws(CoreError) in
                    guard index < maximumRecords else {
                        throw CoreError(.counterOverflow, "a batch holds at most \(maximumRecords) records", field: "records")
                    }
                    records.append(try Self.record(&reader, path: "records[\(index)]", seen: &seen))
                }
            }
            try reader.finish()
        } catch {
            throw Self.translate(error)
        }
        guard sawRecords else {
            throw SyncError.badRequest("malformed_batch", "expected {\"records\": [...]}", field: "records")
        }
        self.records = records
    }

    private static let recordMembers = JSONMemberNames(["collection", "id", "state"])

    private static func record(_ reader: inout JSONParser, path: @autoclosure () -> String, seen: inout RecordKeySet) throws(CoreError) -> IncomingRecord {
        var collection: String?
        var id: String?
        var state: RecordState?
        var canonicalBytes: [UInt8]?
        try reader.readObject(path: path(), names: recordMembers) { reader, member throws(CoreError) in
            switch member {
            case 0: collection = try reader.readValue().stringValue
            case 1: id = try reader.readValue().stringValue
            default: (state, canonicalBytes) = try reader.readState(keepingCanonicalBytes: path() + ".state")
            }
        }
        guard let collection, let id, let state else {
            throw CoreError(.missingKey, "each record is {\"collection\": string, \"id\": string, \"state\": object}", field: path())
        }
        let key = RecordKey(collection: collection, recordID: id)
        guard seen.insert(key) else {
            throw CoreError(.duplicateSibling, "a record appears twice in one batch", field: path())
        }
        return IncomingRecord(key: key, state: state, canonicalBytes: canonicalBytes)
    }

    /// Which answer a decoding problem deserves.
    private static func translate(_ error: CoreError) -> SyncError {
        let field = error.field ?? ""
        switch error.code {
        case .malformedJSON, .tooDeep:
            return SyncError(status: 400, code: "malformed_json", message: "request body is not valid JSON: \(error.message)", field: error.field)
        case .counterOverflow where field == "records":
            return SyncError(status: 413, code: "batch_too_large", message: error.message, field: "records")
        case .duplicateSibling where !field.contains(".state"):
            return SyncError.badRequest("duplicate_record", error.message, field: error.field)
        case _ where !field.contains(".state"):
            return SyncError.badRequest("malformed_batch", error.message, field: error.field)
        default:
            return SyncError(status: 422, code: error.code.rawValue, message: error.message, field: error.field)
        }
    }
}
