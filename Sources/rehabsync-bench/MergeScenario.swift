import Foundation
import RehabSyncCore
import RehabSyncStorage

/// `merge`: joins of random record states in memory, persisting the joined states
/// through the record store (the push path: batches, each one transaction), and, in the
/// same run, the same bytes inserted by the plainest prepared-statement loop with the
/// same pragmas, to show what our layering costs.
struct MergeScenario {
    let records: Int
    let batchSize = 1_000
    let directory: URL

    func run() throws -> BenchmarkReport {
        var generator = SplitMix64(seed: 20_261_123)
        let replicas = (0..<8).map { _ in ReplicaID.random(using: &generator) }
        var counters = [Int64](repeating: 0, count: replicas.count)
        var joinSeconds = 0.0
        var joined: [IncomingRecord] = []
        joined.reserveCapacity(records)

        // Generation is not measured; it runs in chunks so only joins are timed.
        let chunk = 10_000
        var made = 0
        while made < records {
            let count = min(chunk, records - made)
            var pairs: [(RecordKey, RecordState, RecordState)] = []
            pairs.reserveCapacity(count)
            for index in made..<(made + count) {
                pairs.append(try Self.pair(index: index, replicas: replicas, counters: &counters, generator: &generator))
            }
            var results: [IncomingRecord] = []
            results.reserveCapacity(count)
            joinSeconds += measure {
                for (key, left, right) in pairs {
                    results.append(IncomingRecord(key: key, state: left.joined(with: right)))
                }
            }
            joined.append(contentsOf: results)
            made += count
        }

        let persistSeconds = try Self.persist(joined, batchSize: batchSize, path: directory.appendingPathComponent("merge.sqlite").path)
        let rows = joined.map { (collection: $0.key.collection, recordID: $0.key.recordID, state: $0.state.canonicalBytes) }
        joined = []
        let raw = try RawInsert.yardsticks(rows: rows, batchSize: batchSize, directory: directory)
        let rawSeconds = raw.backgroundSeconds

        var report = BenchmarkReport(
            scenario: "merge", records: records, seconds: persistSeconds,
            recordsPerSecond: Double(records) / persistSeconds,
            rawRecordsPerSecond: Double(records) / rawSeconds)
        report.extra = [
            ("join_records_per_s", Double(records) / joinSeconds),
            ("join_seconds", joinSeconds),
            ("raw_seconds", rawSeconds),
            ("mean_state_bytes", Double(rows.reduce(0) { $0 + $1.state.count }) / Double(max(rows.count, 1))),
        ] + RawInsert.comparisonFigures(records: records, seconds: persistSeconds, yardsticks: raw)
        return report
    }

    /// Seconds to store `records` through a new record store in batches, one transaction
    /// each. The store, its background checkpointer included, is finished and closed
    /// before this returns, so the yardstick timed next has the machine to itself.
    static func persist(_ records: [IncomingRecord], batchSize: Int, path: String) throws -> Double {
        let store = try RecordStore(path: path)
        let seconds = try measure {
            var start = 0
            while start < records.count {
                let batch = Array(records[start..<min(start + batchSize, records.count)])
                _ = try store.write { transaction, _ in try transaction.merge(batch).count }
                start += batchSize
            }
        }
        try store.database.checkpoint()
        return seconds
    }

    /// Two states of one care plan as two replicas hold them after concurrent edits:
    /// a shared creation, then one edit each, to the same field one time in ten.
    static func pair(index: Int, replicas: [ReplicaID], counters: inout [Int64],
                     generator: inout SplitMix64) throws -> (RecordKey, RecordState, RecordState) {
        func stamp(_ replica: Int, _ wall: Int64) -> WriteStamp {
            counters[replica] += 1
            return WriteStamp(dot: Dot(replica: replicas[replica], counter: counters[replica]),
                              hlc: HLCTimestamp(milliseconds: wall, logical: 0),
                              author: "SE2321000016-\(1000 + replica)", wallMilliseconds: wall)
        }
        let creator = Int(generator.next() % UInt64(replicas.count))
        let other = (creator + 1 + Int(generator.next() % UInt64(replicas.count - 1))) % replicas.count
        let wall = 1_790_000_000_000 + Int64(index)
        let unit = "SE2321000016-U\(generator.next() % 50)"
        let base = try RecordState().applying([
            "patient": .string(String(format: "19%010llu", generator.next() % 10_000_000_000)),
            "careUnits": .array([.string(unit)]),
            "title": .string("Rehabiliteringsplan \(index)"),
            "summary": .string("Bedömning av rehabiliteringsbehov, mål och planerade åtgärder."),
            "status": .string("active"),
            "needLevel": .string("särskilda"),
            "contactNurse": .string("SE2321000016-N\(generator.next() % 200)"),
        ], stamp: stamp(creator, wall))
        let left = try base.applying(["summary": .string("Uppdaterad av \(creator)")], stamp: stamp(creator, wall + 10))
        let sameField = generator.next() % 10 == 0
        let right = try base.applying([sameField ? "summary" : "status": .string("completed")], stamp: stamp(other, wall + 20))
        return (RecordKey(collection: "carePlans", recordID: "plan-\(index)"), left, right)
    }
}
