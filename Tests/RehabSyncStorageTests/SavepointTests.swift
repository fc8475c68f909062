import Foundation
import RehabSyncCore
import RehabSyncStorage
import Testing

/// ``RecordTransaction/savepoint(_:)``: several requests sharing one transaction, each
/// all or nothing.
struct SavepointTests {
    private static let author = "SE2321000016-1000"

    private static func plan(_ id: String) -> RecordKey { RecordKey(collection: "carePlans", recordID: id) }

    private struct Refused: Error {}

    @Test("A savepoint that throws takes back its own writes and counter, and the transaction commits the rest")
    func aRefusedSavepointRollsBackAlone() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("store.sqlite"))
        try store.write { transaction, _ in
            _ = try transaction.write(Self.plan("kept"), values: ["title": .string("Kept")], author: Self.author, wallMilliseconds: 1)
            #expect(throws: Refused.self) {
                try transaction.savepoint { inner in
                    _ = try inner.write(Self.plan("refused"), values: ["title": .string("Refused")], author: Self.author, wallMilliseconds: 2)
                    throw Refused()
                }
            }
            #expect(!transaction.isAbandoned)
            _ = try transaction.write(Self.plan("after"), values: ["title": .string("After")], author: Self.author, wallMilliseconds: 3)
        }
        let records = try store.read { try $0.allRecords() }
        #expect(records.map(\.recordID).sorted() == ["after", "kept"])
        // The refused write's dot and sequence number were taken back with it: no gap.
        #expect(records.map(\.sequence).sorted() == [1, 2])
        #expect(try store.read { try $0.clockState() }.counter == 2)
    }

    @Test("When a savepoint's writes cannot be rolled back, nothing of the transaction commits, even if its caller goes on")
    func aSavepointThatCannotRollBackAbandonsTheTransaction() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("store.sqlite"))
        #expect(throws: DatabaseError.self) {
            try store.write { transaction, _ in
                _ = try transaction.write(Self.plan("before"), values: ["title": .string("Before")], author: Self.author, wallMilliseconds: 1)
                do {
                    try transaction.savepoint { inner in
                        _ = try inner.write(Self.plan("refused"), values: ["title": .string("Refused")], author: Self.author, wallMilliseconds: 2)
                        // The savepoint is released early: its writes become the outer
                        // transaction's, and rolling back to it fails.
                        try inner.queries.connection.execute("RELEASE request")
                        throw Refused()
                    }
                } catch {
                    // A careless caller that swallows the error and goes on.
                }
                #expect(transaction.isAbandoned)
            }
        }
        #expect(try store.read { try $0.allRecords() }.isEmpty)
        #expect(try store.read { try $0.clockState() }.counter == 0)
    }
}
