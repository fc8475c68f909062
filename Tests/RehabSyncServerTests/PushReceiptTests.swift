import RehabSyncCore
@testable import RehabSyncServer
@testable import RehabSyncStorage
import Testing

/// The push receipt's bytes, written directly, are its canonical JSON.
struct PushReceiptTests {
    @Test("a receipt whose ids need escapes, or not, is written as its canonical JSON", arguments: [
        "", "p1", "carePlans", "plan-SE2321000016-U0-12345", #"a"b"#, #"back\slash"#, "line\nbreak\u{1}", "åäö-långt-id-över-åtta-byte", "1234567\"",
    ])
    func bytesAreTheCanonicalJSON(text: String) {
        let results = [true, false].enumerated().map { offset, changed in
            MergeResult(key: RecordKey(collection: text, recordID: text + "\(offset)"), changed: changed,
                        record: StoredRecord(collection: text, recordID: text + "\(offset)", patient: nil, careUnits: [],
                                             sequence: Int64(offset) * 1_000_003, stateBytes: []))
        }
        let receipt = SyncService.PushReceipt(accepted: results.count, changed: 1, results: results)
        #expect(receipt.jsonBytes == receipt.json.canonicalBytes)
    }
}
