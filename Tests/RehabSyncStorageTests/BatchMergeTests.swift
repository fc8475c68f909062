import Foundation
import RehabSyncCore
import RehabSyncStorage
import Testing

/// A push batch prepared with one lookup of which records exist, and new records stored
/// without a lookup of their own under the writer.
struct BatchMergeTests {
    private static let author = "SE2321000016-1000"

    private static func plan(_ id: String) -> RecordKey { RecordKey(collection: "carePlans", recordID: id) }

    /// What a device wrote to `id`, as a push would carry it.
    private static func write(_ store: RecordStore, _ id: String, _ title: String) throws -> IncomingRecord {
        let written = try store.write { transaction, _ in
            try transaction.write(plan(id), values: ["title": .string(title), "careUnits": .array([.string("U1")])],
                                  author: author, wallMilliseconds: 1)
        }
        return IncomingRecord(key: plan(id), state: try written.state())
    }

    @Test("a batch mixing stored and new records is prepared as record by record and stored in order")
    func aBatchMixingStoredAndNewRecordsIsPreparedAsRecordByRecordAndStoredInOrder() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        let first = try Self.write(device, "p1", "First")
        _ = try server.write { transaction, _ in try transaction.merge([first]) }
        let batch = [try Self.write(device, "p2", "New"), try Self.write(device, "p1", "Edited"), try Self.write(device, "p3", "Also new")]
        #expect(try server.read { try $0.storedKeys(among: batch.map(\.key)) } == [Self.plan("p1")])
        let prepared = try server.read { try server.prepareMerges(batch, queries: $0) }
        let single = try server.read { queries in try batch.map { try server.prepareMerge($0, queries: queries) } }
        for (batched, alone) in zip(prepared, single) {
            #expect(batched.key == alone.key && batched.stored == alone.stored && batched.after == alone.after)
            #expect(batched.changed == alone.changed)
        }
        #expect(prepared.map { $0.stored == nil } == [true, false, true])
        let results = try server.write { transaction, _ in try prepared.map { try transaction.applyNew($0) } }
        let stored = try results.map { try #require($0) }
        #expect(stored.map(\.changed) == [true, true, true])
        #expect(stored.map(\.record.sequence) == [2, 3, 4])
        for (record, incoming) in zip(stored, batch) {
            let read = try #require(try server.read { try $0.record(incoming.key) })
            #expect(read == record.record)
            #expect(try read.state().provisionalValues["title"] == incoming.state.provisionalValues["title"])
            #expect(read.careUnits == ["U1"])
        }
        // Sent again, nothing changes and no sequence number is taken.
        let again = try server.read { try server.prepareMerges(batch, queries: $0) }
        let echoed = try server.write { transaction, _ in try again.map { try transaction.applyNew($0) } }
        #expect(echoed.map { $0?.changed } == [false, false, false])
        #expect(try server.read { try $0.clockState().sequence } == 4)
    }

    @Test("a new record another write created after the snapshot is handed back to be prepared again, leaving no gap in the sequence")
    func aNewRecordAnotherWriteCreatedAfterTheSnapshotIsHandedBackToBePreparedAgainLeavingNoGapInTheSequence() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let other = try RecordStore(path: scratch.path("other.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        let mine = try Self.write(device, "p1", "Mine")
        let alsoMine = try Self.write(device, "p2", "Mine too")
        let theirs = try Self.write(other, "p1", "Theirs")
        let prepared = try server.read { try server.prepareMerges([mine, alsoMine], queries: $0) }
        #expect(prepared.allSatisfy { $0.stored == nil })
        // Another push creates p1 first: the insert of the prepared merge meets its address.
        _ = try server.write { transaction, _ in try transaction.merge([theirs]) }
        let results = try server.write { transaction, _ in try prepared.map { try transaction.applyNew($0) } }
        #expect(results[0] == nil)
        let second = try #require(results[1])
        #expect(second.record.sequence == 2)
        #expect(try server.read { try $0.record(Self.plan("p1")) }.map { try $0.state().provisionalValues["title"] } == .string("Theirs"))
        // Prepared again against what is stored now, it joins both writes.
        let again = try server.read { try server.prepareMerges([mine], queries: $0) }
        let joined = try #require(try server.write { transaction, _ in try transaction.applyNew(again[0]) })
        #expect(joined.changed && joined.record.sequence == 3)
        #expect(try joined.record.state().isInConflict)
    }

    @Test("a batch of many new records is stored sixteen to a statement, and a chunk holding one created meanwhile goes record by record")
    func aBatchOfManyNewRecordsIsStoredSixteenToAStatementAndAChunkHoldingOneCreatedMeanwhileGoesRecordByRecord() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let other = try RecordStore(path: scratch.path("other.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        let batch = try (0..<40).map { try Self.write(device, "p\($0)", "Plan \($0)") }
        let prepared = try server.read { try server.prepareMerges(batch, queries: $0) }
        _ = try server.write { transaction, _ in try transaction.merge([try Self.write(other, "p20", "Theirs")]) }
        let results = try server.write { transaction, _ in try transaction.applyNew(batch: prepared) }
        #expect(results.indices.filter { results[$0] == nil } == [20])
        let stored = results.compactMap { $0 }
        #expect(stored.map(\.record.sequence) == Array(2...40))
        #expect(stored.map(\.key) == batch.map(\.key).filter { $0 != Self.plan("p20") })
        for result in stored {
            #expect(try server.read { try $0.record(result.key) } == result.record)
        }
        #expect(try server.read { try $0.clockState().sequence } == 40)
        // The units rows carry each record's own sequence number: a unit's pull sees them all.
        let pulled = try server.read { try $0.changes(since: 0, units: ["U1"], limit: 100) }
        #expect(pulled.map(\.sequence) == Array(1...40))
    }

    @Test("which keys are stored is answered alike across the lookup's chunks, with other collections, repeats and no keys at all")
    func whichKeysAreStoredIsAnsweredAlikeAcrossTheLookupsChunks() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("server.sqlite"))
        let goal = RecordKey(collection: "planGoals", recordID: "p31")
        // Stored: at the start, at the edges of the first chunks and in the short last one.
        let storedIDs = ["p0", "p31", "p32", "p63", "p66"]
        for id in storedIDs { _ = try Self.write(store, id, "Plan \(id)") }
        _ = try store.write { transaction, _ in
            try transaction.write(goal, values: ["title": .string("Goal")], author: Self.author, wallMilliseconds: 1)
        }
        var keys = (0..<70).map { Self.plan("p\($0)") }
        keys.insert(RecordKey(collection: "planGoals", recordID: "p0"), at: 5)
        keys.insert(goal, at: 40)
        keys.append(Self.plan("p31"))
        let found = try store.read { try $0.storedKeys(among: keys) }
        #expect(found == Set(storedIDs.map(Self.plan) + [goal]))
        #expect(try store.read { try $0.storedKeys(among: []) }.isEmpty)
        #expect(try store.read { try $0.storedKeys(among: [Self.plan("p1")]) }.isEmpty)
    }

    @Test("new records stored after the record with the largest row was removed get units of their own rows")
    func newRecordsStoredAfterTheLargestRowWasRemovedGetUnitsOfTheirOwnRows() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        _ = try Self.write(server, "first", "First")
        _ = try Self.write(server, "gone", "Gone")
        try server.write { transaction, _ in try transaction.replace(Self.plan("gone"), with: nil) }
        let batch = try (0..<16).map { index in
            let key = Self.plan("n\(index)")
            let written = try device.write { transaction, _ in
                try transaction.write(key, values: ["title": .string("Plan"), "careUnits": .array([.string("U\(index % 3)")])],
                                      author: Self.author, wallMilliseconds: 1)
            }
            return IncomingRecord(key: key, state: try written.state())
        }
        let prepared = try server.read { try server.prepareMerges(batch, queries: $0) }
        let results = try server.write { transaction, _ in try transaction.applyNew(batch: prepared) }
        #expect(results.allSatisfy { $0?.changed == true })
        for (index, result) in results.enumerated() {
            let stored = try #require(try server.read { try $0.record(Self.plan("n\(index)")) })
            #expect(stored.careUnits == ["U\(index % 3)"])
            #expect(stored == result?.record)
        }
        for unit in 0..<3 {
            let pulled = try server.read { try $0.changes(since: 2, units: ["U\(unit)"], limit: 100) }
            #expect(pulled.map(\.recordID) == (0..<16).filter { $0 % 3 == unit }.map { "n\($0)" })
        }
    }

    @Test("new records in runs shorter than sixteen, around a stored one and one created meanwhile, are stored in order with the batch's sequence numbers")
    func newRecordsInRunsShorterThanSixteenAreStoredInOrder() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let other = try RecordStore(path: scratch.path("other.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        // Stored before the snapshot: p11 splits the batch into runs of eleven (eight, two
        // and one) and eight new records.
        _ = try server.write { transaction, _ in try transaction.merge([try Self.write(other, "p11", "Theirs")]) }
        let batch = try (0..<20).map { try Self.write(device, "p\($0)", "Plan \($0)") }
        let prepared = try server.read { try server.prepareMerges(batch, queries: $0) }
        // Created after the snapshot, inside the run of eight that p12 starts.
        _ = try server.write { transaction, _ in try transaction.merge([try Self.write(other, "p14", "Theirs")]) }
        let results = try server.write { transaction, _ in try transaction.applyNew(batch: prepared) }
        #expect(results.indices.filter { results[$0] == nil } == [14])
        let stored = results.compactMap { $0 }
        #expect(stored.allSatisfy { $0.changed })
        #expect(stored.map(\.key) == batch.map(\.key).filter { $0 != Self.plan("p14") })
        #expect(stored.map(\.record.sequence) == Array(3...21))
        for result in stored {
            #expect(try server.read { try $0.record(result.key) } == result.record)
        }
        let pulled = try server.read { try $0.changes(since: 2, units: ["U1"], limit: 100) }
        #expect(pulled.map(\.recordID) == stored.map(\.key.recordID))
    }
}
