import Foundation
import RehabSyncCore
import RehabSyncStorage
import Testing

private let author = "SE2321000016-1000"

private func plan(_ id: String) -> RecordKey { RecordKey(collection: "carePlans", recordID: id) }

struct RecordStoreTests {
    @Test func aLocalWriteIsStoredWithItsPlacementAndANewSequence() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("replica.sqlite"))
        let stored = try store.write { transaction, _ in
            try transaction.write(plan("p1"), values: [
                "patient": .string("191212121212"), "careUnits": .array([.string("SE2321000016-B"), .string("SE2321000016-A")]),
                "title": .string("Plan"),
            ], author: author, wallMilliseconds: 1_000)
        }
        #expect(stored.patient == "191212121212")
        #expect(stored.careUnits == ["SE2321000016-A", "SE2321000016-B"])
        #expect(stored.sequence == 1)
        let read = try #require(try store.read { try $0.record(plan("p1")) })
        #expect(read == stored)
        #expect(try read.state().provisionalValues["title"] == .string("Plan"))
    }

    @Test func theCounterSurvivesReopeningSoADotIsNeverReused() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("replica.sqlite")
        var replica: ReplicaID
        do {
            let store = try RecordStore(path: path)
            replica = store.replicaID
            for index in 0..<3 {
                _ = try store.write { transaction, _ in
                    try transaction.write(plan("p\(index)"), values: ["title": .string("t")], author: author, wallMilliseconds: 1_000)
                }
            }
        }
        let reopened = try RecordStore(path: path, replicaID: ReplicaID.random())
        #expect(reopened.replicaID == replica)
        let stored = try reopened.write { transaction, _ in
            try transaction.write(plan("p0"), values: ["title": .string("u")], author: author, wallMilliseconds: 500)
        }
        let state = try stored.state()
        #expect(state["title"]?.siblings.first?.dot == Dot(replica: replica, counter: 4))
        // The wall clock went back from 1000 to 500; the hybrid clock did not.
        #expect(try #require(state["title"]?.siblings.first?.hlc) > HLCTimestamp(milliseconds: 1_000, logical: 0))
    }

    @Test func aRefusedWriteLeavesCounterAndRecordsUntouched() throws {
        struct Refused: Error {}
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("replica.sqlite"))
        #expect(throws: Refused.self) {
            try store.write { transaction, _ in
                _ = try transaction.write(plan("p1"), values: ["title": .string("a")], author: author, wallMilliseconds: 1)
                _ = try transaction.write(plan("p2"), values: ["title": .string("b")], author: author, wallMilliseconds: 1) { _, _ in
                    throw Refused()
                }
            }
        }
        #expect(try store.read { try $0.count() } == 0)
        #expect(try store.read { try $0.clockState().counter } == 0)
    }

    @Test func mergingTheSameStateTwiceChangesNothingTheSecondTime() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        let written = try device.write { transaction, _ in
            try transaction.write(plan("p1"), values: ["title": .string("Plan"), "careUnits": .array([.string("U1")])],
                                  author: author, wallMilliseconds: 1)
        }
        let incoming = [IncomingRecord(key: plan("p1"), state: try written.state())]
        let first = try server.write { transaction, _ in try transaction.merge(incoming) }
        let second = try server.write { transaction, _ in try transaction.merge(incoming) }
        #expect(first.map(\.changed) == [true])
        #expect(second.map(\.changed) == [false])
        #expect(second.first?.record.sequence == first.first?.record.sequence)
        #expect(try server.read { try $0.record(plan("p1"))?.stateBytes } == written.stateBytes)
    }

    @Test func aMergePreparedOnASnapshotIsStoredOnlyIfTheRecordHasNotMovedSince() throws {
        let scratch = try ScratchDirectory()
        let device = try RecordStore(path: scratch.path("device.sqlite"))
        let other = try RecordStore(path: scratch.path("other.sqlite"))
        let server = try RecordStore(path: scratch.path("server.sqlite"))
        func write(_ store: RecordStore, _ title: String) throws -> IncomingRecord {
            let written = try store.write { transaction, _ in
                try transaction.write(plan("p1"), values: ["title": .string(title), "careUnits": .array([.string("U1")])],
                                      author: author, wallMilliseconds: 1)
            }
            return IncomingRecord(key: plan("p1"), state: try written.state())
        }
        let mine = try write(device, "Mine")
        let theirs = try write(other, "Theirs")
        let prepared = try server.read { try server.prepareMerge(mine, queries: $0) }
        #expect(prepared.stored == nil && prepared.changed)
        // Another push stores the record first: the prepared merge is stale.
        _ = try server.write { transaction, _ in try transaction.merge([theirs]) }
        #expect(try server.write { transaction, _ in try transaction.apply(prepared) } == nil)
        // Prepared again against what is stored now, it applies and keeps both writes.
        let again = try server.read { try server.prepareMerge(mine, queries: $0) }
        let result = try #require(try server.write { transaction, _ in try transaction.apply(again) })
        #expect(result.changed)
        #expect(try result.record.state().isInConflict)
        // And a prepared merge that adds nothing reports so without a new sequence number.
        let echo = try server.read { try server.prepareMerge(mine, queries: $0) }
        let unchanged = try #require(try server.write { transaction, _ in try transaction.apply(echo) })
        #expect(!unchanged.changed && unchanged.record.sequence == result.record.sequence)
    }

    @Test func concurrentWritesMergedIntoOneStoreAreFlaggedAsAConflict() throws {
        let scratch = try ScratchDirectory()
        let a = try RecordStore(path: scratch.path("a.sqlite"))
        let b = try RecordStore(path: scratch.path("b.sqlite"))
        for store in [a, b] {
            _ = try store.write { transaction, _ in
                try transaction.write(plan("p1"), values: ["summary": .string("from \(store.replicaID)"), "careUnits": .array([.string("U1")])],
                                      author: author, wallMilliseconds: 1)
            }
        }
        let fromB = try #require(try b.read { try $0.record(plan("p1")) })
        _ = try a.write { transaction, _ in try transaction.merge([IncomingRecord(key: plan("p1"), state: try fromB.state())]) }
        let conflicts = try a.read { try $0.conflicts(units: ["U1"]) }
        #expect(conflicts.map(\.recordID) == ["p1"])
        #expect(try a.read { try $0.conflicts(units: ["U2"]) }.isEmpty)
    }

    @Test func changesSinceACursorFollowUnitsInSequenceOrderAndRespectTheLimit() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("server.sqlite"))
        let units = ["U1", "U2", "U3"]
        for index in 0..<30 {
            _ = try store.write { transaction, _ in
                try transaction.write(plan("p\(index)"), values: ["careUnits": .array([.string(units[index % 3])])],
                                      author: author, wallMilliseconds: 1)
            }
        }
        let page = try store.read { try $0.changes(since: 0, units: ["U1", "U3"], limit: 5) }
        #expect(page.map(\.recordID) == ["p0", "p2", "p3", "p5", "p6"])
        let next = try store.read { try $0.changes(since: page.last?.sequence ?? 0, units: ["U1", "U3"], limit: 100) }
        #expect(next.count == 15)
        #expect(next.allSatisfy { !$0.careUnits.contains("U2") })
        #expect(zip(next, next.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(try store.read { try $0.changes(since: 0, units: nil, limit: 1_000) }.count == 30)
    }

    @Test func aRecordThatMovesToAnotherUnitLeavesTheOldUnitsFeed() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("server.sqlite"))
        for units in [["U1"], ["U2"]] {
            _ = try store.write { transaction, _ in
                try transaction.write(plan("p1"), values: ["careUnits": .array(units.map(JSONValue.string))],
                                      author: author, wallMilliseconds: 1)
            }
        }
        #expect(try store.read { try $0.changes(since: 0, units: ["U1"], limit: 10) }.isEmpty)
        #expect(try store.read { try $0.changes(since: 0, units: ["U2"], limit: 10) }.map(\.sequence) == [2])
    }

    @Test func statesPersistedReopenedAndReadBackAreIdentical() throws {
        let seeds: [UInt64] = ProcessInfo.processInfo.environment["REHABSYNC_SEED"].flatMap(UInt64.init).map { [$0] } ?? [1, 2, 3, 4, 5]
        for seed in seeds {
            let scratch = try ScratchDirectory()
            let path = scratch.path("replica.sqlite")
            var generator = SplitMix64(seed: seed)
            var expected: [RecordKey: [UInt8]] = [:]
            do {
                let writers = try (0..<3).map { try RecordStore(path: scratch.path("w\($0).sqlite")) }
                let target = try RecordStore(path: path)
                for step in 0..<150 {
                    let writer = writers[Int(generator.next() % 3)]
                    let key = plan("p\(generator.next() % 10)")
                    let value = JSONValue.string("v\(step) ö \u{1F600} \"q\"")
                    let field = ["title", "summary", "status"][Int(generator.next() % 3)]
                    let written = try writer.write { transaction, _ in
                        try transaction.write(key, values: [field: value, "careUnits": .array([.string("U1")])],
                                              author: author, wallMilliseconds: Int64(step))
                    }
                    _ = try target.write { transaction, _ in
                        try transaction.merge([IncomingRecord(key: key, state: try written.state())])
                    }
                }
                for record in try target.read({ try $0.allRecords() }) {
                    expected[RecordKey(collection: record.collection, recordID: record.recordID)] = try record.state().canonicalBytes
                }
            }
            let reopened = try RecordStore(path: path)
            let records = try reopened.read { try $0.allRecords() }
            #expect(records.count == expected.count, "seed \(seed)")
            for record in records {
                let key = RecordKey(collection: record.collection, recordID: record.recordID)
                #expect(record.stateBytes == expected[key], "seed \(seed)")
                #expect(try record.state().canonicalBytes == record.stateBytes, "seed \(seed)")
            }
        }
    }
}

struct RecordGrantTests {
    @Test func aGrantOpensAnExistingRecordToAnotherUnitWithANewSequence() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("server.sqlite"))
        let key = RecordKey(collection: "carePlans", recordID: "p1")
        let written = try store.write { transaction, _ in
            try transaction.write(key, values: ["careUnits": .array([.string("U1")])], author: "SE2321000016-1000", wallMilliseconds: 1)
        }
        let granted = try store.write { transaction, _ in try transaction.grant(key, to: "U2") }
        #expect(granted)
        let page = try store.read { try $0.changes(since: written.sequence, units: ["U2"], limit: 10) }
        #expect(page.map(\.recordID) == ["p1"])
        #expect(page.first?.careUnits == ["U1", "U2"])
        #expect(try store.write { transaction, _ in try transaction.grant(key, to: "U2") } == false)
    }

    @Test func aGrantMadeBeforeTheRecordArrivesAppliesWhenItDoes() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("server.sqlite"))
        let key = RecordKey(collection: "carePlans", recordID: "p1")
        _ = try store.write { transaction, _ in try transaction.grant(key, to: "U2") }
        _ = try store.write { transaction, _ in
            try transaction.write(key, values: ["careUnits": .array([.string("U1")])], author: "SE2321000016-1000", wallMilliseconds: 1)
        }
        // A later edit that changes the plan's own units keeps the grant.
        _ = try store.write { transaction, _ in
            try transaction.write(key, values: ["careUnits": .array([.string("U3")])], author: "SE2321000016-1000", wallMilliseconds: 2)
        }
        #expect(try store.read { try $0.record(key)?.careUnits } == ["U2", "U3"])
    }
}
