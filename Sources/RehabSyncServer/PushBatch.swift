import RehabSyncCore
import RehabSyncStorage

/// A push request: full states of records changed on a replica.
///
/// `{"records":[{"collection":"carePlans","id":"<record id>","state":{<canonical state>}}]}`
struct PushBatch: Sendable {
    let records: [IncomingRecord]

    /// Parses and checks the shape of every record before anything is stored; the first
    /// problem is reported with its path (`records[3].state.fields.title[0].dot`).
    init(json bytes: [UInt8], maximumRecords: Int) throws(SyncError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw SyncError.badRequest(error.code.rawValue, "request body is not valid JSON: \(error.message)")
        }
        guard let members = document.objectValue, case .array(let items)? = members["records"] else {
            throw SyncError.badRequest("malformed_batch", "expected {\"records\": [...]}", field: "records")
        }
        if let unknown = members.keys.first(where: { $0 != "records" }) {
            throw SyncError.badRequest("unexpected_key", "unknown member", field: unknown)
        }
        guard items.count <= maximumRecords else {
            throw SyncError(status: 413, code: "batch_too_large",
                            message: "a batch holds at most \(maximumRecords) records", field: "records")
        }
        var records: [IncomingRecord] = []
        var seen = Set<RecordKey>()
        for (index, item) in items.enumerated() {
            let path = "records[\(index)]"
            guard let fields = item.objectValue, case .string(let collection)? = fields["collection"],
                case .string(let id)? = fields["id"], let state = fields["state"], fields.count == 3
            else {
                throw SyncError.badRequest("malformed_record", "each record is {\"collection\", \"id\", \"state\"}", field: path)
            }
            let decoded: RecordState
            do {
                decoded = try RecordState(json: state)
            } catch {
                throw SyncError.invalidState(error, at: path + ".state")
            }
            let key = RecordKey(collection: collection, recordID: id)
            guard seen.insert(key).inserted else {
                throw SyncError.badRequest("duplicate_record", "a record appears twice in one batch", field: path)
            }
            records.append(IncomingRecord(key: key, state: decoded))
        }
        self.records = records
    }
}
