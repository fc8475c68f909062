import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage
import Testing

/// The push body's shape: what the route refuses before anything is stored.
struct PushBodyDecoderTests {
    typealias F = ServerFixtures

    private static func body(_ records: [String]) -> [UInt8] {
        Array("{\"records\":[\(records.joined(separator: ","))]}".utf8)
    }

    private static func state() throws -> String {
        try F.state(F.plan(), replica: ReplicaID(high: 1, low: 2)).canonicalText
    }

    private static func refusal(_ bytes: [UInt8]) -> SyncError? {
        do {
            _ = try PushBodyDecoder.decode(bytes, maximumRecords: 100)
            return nil
        } catch {
            return error
        }
    }

    @Test("a record that appears twice is refused at its second place, and keys that only read alike run together are not the same")
    func duplicatesAreFoundByWholeKey() throws {
        let state = try Self.state()
        let records = try PushBodyDecoder.decode(Self.body([
            #"{"collection":"ab","id":"c","state":\#(state)}"#, #"{"collection":"a","id":"bc","state":\#(state)}"#,
            #"{"collection":"carePlans","id":"p1","state":\#(state)}"#, #"{"collection":"referrals","id":"p1","state":\#(state)}"#,
        ]), maximumRecords: 100)
        #expect(records.map(\.key.recordID) == ["c", "bc", "p1", "p1"])
        let refusal = Self.refusal(Self.body([
            #"{"collection":"carePlans","id":"p1","state":\#(state)}"#, #"{"collection":"carePlans","id":"p2","state":\#(state)}"#,
            #"{"id":"p1","collection":"carePlans","state":\#(state)}"#,
        ]))
        #expect(refusal?.status == 400)
        #expect(refusal?.code == "duplicate_record")
        #expect(refusal?.field == "records[2]")
    }

    @Test("a collection or id that is not a string is a malformed record, unless the value itself is broken JSON")
    func membersThatAreNotStrings() throws {
        let state = try Self.state()
        for record in [#"{"collection":5,"id":"p1","state":\#(state)}"#, #"{"collection":"carePlans","id":{"a":[1]},"state":\#(state)}"#] {
            let refusal = Self.refusal(Self.body([record]))
            #expect(refusal?.status == 400)
            #expect(refusal?.code == "malformed_batch")
            #expect(refusal?.field == "records[0]")
            #expect(refusal?.message.contains("each record is") == true)
        }
        let brokenValue = Self.refusal(Self.body([#"{"collection":[1,],"id":"p1","state":\#(state)}"#]))
        #expect(brokenValue?.code == "malformed_json")
    }
}
