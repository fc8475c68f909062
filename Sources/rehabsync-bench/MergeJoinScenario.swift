import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReplica
import RehabSyncStorage

/// `merge-join`: what a conflict-heavy clinic's device does when it pulls. Every record is
/// already stored, with three concurrent siblings in its summary, in a record store opened
/// as a device opens its file (its layout, placement and settings). The measured phase
/// joins one incoming state into each as a replica stores a pulled page: received as
/// canonical bytes already checked by the page's reader (which a device does on its
/// fetching thread), merged by `merge(received:)` in pages of 1,000, each one transaction
/// committed without waiting for the disk. Half the incoming states are one more
/// concurrent edit of the summary (four siblings then), half a resolution by a writer who
/// saw all three (one sibling then).
struct MergeJoinScenario {
    let records: Int
    let batchSize = 1_000
    let directory: URL
    /// The goal for joins into stored records.
    static let goalRecordsPerSecond = 50_000.0

    func run() throws -> BenchmarkReport {
        var generator = SplitMix64(seed: 20_261_202)
        let replicas = (0..<6).map { _ in ReplicaID.random(using: &generator) }
        var counters = [Int64](repeating: 0, count: replicas.count)
        var stored: [IncomingRecord] = []
        var incoming: [ReceivedRecord] = []
        // The yardstick's rows: the stored states, and the joined states it writes over them.
        var rawStored: [(collection: String, recordID: String, state: [UInt8])] = []
        var rawJoined: [(collection: String, recordID: String, state: [UInt8])] = []
        stored.reserveCapacity(records)
        incoming.reserveCapacity(records)
        // The fields a device's placement reads: what its page reader decodes.
        let placementReads = CanonicalFieldNames(DomainPlacement.fieldsRead)
        for index in 0..<records {
            let (key, conflicted, next) = try Self.states(index: index, replicas: replicas, counters: &counters)
            stored.append(IncomingRecord(key: key, state: conflicted))
            // As a pull page carries it: the state's canonical bytes, checked by the reader
            // of a device that has pulled before (PullPage's joiningHeld).
            var reader = JSONParser(next.canonicalBytes)
            guard let canonical = reader.readCanonicalState(keeping: placementReads, collectingSiblingRuns: true) else {
                throw BenchFailure("the incoming state of \(key.recordID) is not canonical")
            }
            incoming.append(ReceivedRecord(key: key, state: .canonical(canonical)))
            rawStored.append((key.collection, key.recordID, conflicted.canonicalBytes))
            rawJoined.append((key.collection, key.recordID, conflicted.joined(with: next).canonicalBytes))
        }
        let (seconds, cpuSeconds, siblingsAfter) = try joinIntoStore(stored: stored, incoming: incoming)
        stored = []
        incoming = []
        // Taken once the store and its checkpointer have stopped (joinIntoStore has returned).
        let rawSeconds = try RawUpdate.seconds(stored: rawStored, updates: rawJoined, batchSize: batchSize,
                                               path: directory.appendingPathComponent("raw-update.sqlite").path)
        var report = BenchmarkReport(scenario: "merge-join", records: records, seconds: seconds,
                                     recordsPerSecond: Double(records) / seconds,
                                     rawRecordsPerSecond: Double(records) / rawSeconds)
        report.extra = [("goal_records_per_s", Self.goalRecordsPerSecond),
                        ("summary_siblings_per_record", Double(siblingsAfter) / Double(max(records, 1))),
                        ("cpu_microseconds_per_record", cpuSeconds * 1e6 / Double(max(records, 1)))]
        return report
    }

    /// Stores `stored`, then times joining `incoming` into it; checks the result and closes
    /// the store (and its checkpointer) before returning.
    private func joinIntoStore(stored: [IncomingRecord], incoming: [ReceivedRecord]) throws
        -> (seconds: Double, cpuSeconds: Double, siblingsAfter: Int) {
        let store = try Replica.openStore(path: directory.appendingPathComponent("merge-join.sqlite").path)
        try Self.merge(stored, into: store, batchSize: batchSize)
        try store.database.checkpoint()
        progress("stored \(records) records with three siblings each; joining")

        let cpuBefore = processCPUSeconds()
        let seconds = try measure { try Self.pull(incoming, into: store, pageSize: batchSize) }
        let cpuSeconds = processCPUSeconds() - cpuBefore
        try store.database.checkpoint()
        let siblingsAfter = try store.read { queries in
            try queries.allRecords().reduce(0) { sum, record in sum + (try record.state()["summary"]?.siblings.count ?? 0) }
        }
        // Each concurrent edit leaves four siblings and each resolution one: 2.5 on average.
        let expected = (records + 1) / 2 * 4 + records / 2
        guard siblingsAfter == expected else {
            throw BenchFailure("the joins left \(siblingsAfter) summary siblings, expected \(expected)")
        }
        return (seconds, cpuSeconds, siblingsAfter)
    }

    /// Merges in batches, one transaction each: how the stored records are laid down.
    static func merge(_ records: [IncomingRecord], into store: RecordStore, batchSize: Int) throws {
        var start = 0
        while start < records.count {
            let batch = Array(records[start..<min(start + batchSize, records.count)])
            _ = try store.write { transaction, _ in try transaction.merge(batch).count }
            start += batchSize
        }
    }

    /// Stores `records` as a replica stores pulled pages: each page merged by
    /// `merge(received:)` in one transaction that does not wait for the disk.
    static func pull(_ records: [ReceivedRecord], into store: RecordStore, pageSize: Int) throws {
        var start = 0
        while start < records.count {
            let page = Array(records[start..<min(start + pageSize, records.count)])
            _ = try store.write(deferringSync: true) { transaction, _ in try transaction.merge(received: page) }
            start += pageSize
        }
    }

    /// A care plan as stored (created, then its summary edited by three replicas that had
    /// not seen one another) and the state that arrives next: a fourth concurrent edit for
    /// even `index`, a resolution that saw all three for odd.
    static func states(index: Int, replicas: [ReplicaID],
                       counters: inout [Int64]) throws -> (RecordKey, RecordState, RecordState) {
        func stamp(_ replica: Int, _ wall: Int64) -> WriteStamp {
            counters[replica] += 1
            return WriteStamp(dot: Dot(replica: replicas[replica], counter: counters[replica]),
                              hlc: HLCTimestamp(milliseconds: wall, logical: 0),
                              author: "SE2321000016-\(1000 + replica)", wallMilliseconds: wall)
        }
        let wall = 1_790_000_000_000 + Int64(index)
        let base = try RecordState().applying([
            "patient": .string(LoopbackServer.personnummer(index / LoopbackServer.recordsPerPatient)),
            "careUnits": .array([.string("SE2321000016-U\(index % 8)")]),
            "title": .string("Rehabiliteringsplan \(index)"),
            "summary": .string("Bedömning av rehabiliteringsbehov, mål och planerade åtgärder."),
            "status": .string("active"),
            "needLevel": .string("särskilda"),
        ], stamp: stamp(0, wall))
        var conflicted = base
        for replica in 1...3 {
            conflicted = conflicted.joined(with: try base.applying(["summary": .string("Version \(replica) av sammanfattningen")],
                                                                   stamp: stamp(replica, wall + Int64(replica))))
        }
        let next = index % 2 == 0
            ? try base.applying(["summary": .string("En fjärde samtidig version")], stamp: stamp(4, wall + 10))
            : try conflicted.applying(["summary": .string("Överenskommen sammanfattning")], stamp: stamp(5, wall + 20))
        return (RecordKey(collection: "carePlans", recordID: "plan-\(index)"), conflicted, next)
    }
}
