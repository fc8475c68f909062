import Foundation
import RehabSyncCore
import RehabSyncStorage
import Testing

/// ``RecordQueries/changesPageStreamed(since:units:limit:maxBytes:)`` is the page a
/// server's pull sends: it must give exactly what ``RecordQueries/changesPage(since:units:limit:maxBytes:)``
/// gives, whatever the units, cursor, limit and byte cap.
struct StreamedChangesPageTests {
    static let author = "SE2321000016-1000"
    static let units = ["U1", "U2", "U3", "U4"]

    /// A store whose records sit in one to three units each, with grants, moves and
    /// rewrites, and states of different sizes; deterministic for a seed.
    static func makeStore(at path: String, seed: UInt64) throws -> RecordStore {
        let store = try RecordStore(path: path)
        var random = SplitMix64(seed: seed)
        for step in 0..<160 {
            let key = RecordKey(collection: step % 5 == 0 ? "assessments" : "carePlans", recordID: "r\(random.next() % 60)")
            let count = 1 + Int(random.next() % 3)
            let placed = (0..<count).map { _ in units[Int(random.next() % UInt64(units.count))] }
            let title = String(repeating: "x", count: Int(random.next() % 400))
            _ = try store.write { transaction, _ in
                if random.next() % 9 == 0 {
                    try transaction.grant(key, to: units[Int(random.next() % UInt64(units.count))])
                } else {
                    _ = try transaction.write(key, values: ["careUnits": .array(placed.map(JSONValue.string)), "title": .string(title)],
                                              author: author, wallMilliseconds: Int64(step))
                }
            }
        }
        return store
    }

    @Test("the streamed page holds the same records, cut at the same place, with the same hasMore, as the page read row by row")
    func theStreamedPageIsThePage() throws {
        for seed: UInt64 in [1, 2, 3] {
            let scratch = try ScratchDirectory()
            let store = try Self.makeStore(at: scratch.path("server.sqlite"), seed: seed)
            let head = try store.read { try $0.clockState().sequence }
            let unitSets: [[String]?] = [nil, ["U1"], ["U2", "U3"], ["U4", "U1", "U1"], Self.units, ["U9"]]
            for units in unitSets {
                for since in [0, 1, head / 3, head / 2, head - 1, head] {
                    for limit in [1, 2, 7, 50, 1_000] {
                        for maxBytes in [1, 600, 4_000, 1 << 22] {
                            let expected = try store.read { try $0.changesPage(since: since, units: units, limit: limit, maxBytes: maxBytes) }
                            let streamed = try store.read {
                                try $0.changesPageStreamed(since: since, units: units, limit: limit, maxBytes: maxBytes)
                            }
                            #expect(streamed.records == expected.records, "seed \(seed) units \(units ?? []) since \(since) limit \(limit) bytes \(maxBytes)")
                            #expect(streamed.hasMore == expected.hasMore, "seed \(seed) units \(units ?? []) since \(since) limit \(limit) bytes \(maxBytes)")
                        }
                    }
                }
            }
        }
    }

    @Test("a unit's stream walks the unit's sequence index in order, with no sort of the whole range before the first row")
    func theStreamNeedsNoSort() throws {
        let scratch = try ScratchDirectory()
        let store = try RecordStore(path: scratch.path("server.sqlite"))
        let plan = try store.database.read { connection in
            try connection.prepare("""
                EXPLAIN QUERY PLAN SELECT r.seq, r.collection, r.record_id, r.patient, r.state,
                (SELECT group_concat(unit, char(31)) FROM record_units WHERE record = r.id)
                FROM record_units u JOIN records r ON r.id = u.record WHERE u.unit = ? AND u.seq > ? ORDER BY u.seq
                """).rows { try $0.requireText(at: 3) }
        }
        #expect(plan.contains { $0.contains("record_units_by_unit_seq") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }
}
