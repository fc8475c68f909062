import Foundation
import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage
import Testing

/// The merge simulation run through the server: devices write offline, push batches
/// through validation and SQLite, and pull pages of three by cursor; batches are sent
/// again and held back to arrive out of order. Judged by a model of who saw which dot.
struct ServerSimulationTests {
    typealias F = ServerFixtures

    static let seeds: [UInt64] = Array(1...6)
    static let records = ["plan-a", "plan-b", "plan-c"]

    struct SimulatedDevice {
        let device: Device
        var counter: Int64 = 0
        var states: [String: RecordState] = [:]
        var cursor: Int64 = 0
        /// The model: dots this device has received, per record.
        var known: [String: Set<Dot>] = [:]
        /// Push bodies already sent, to send again; and bodies held back, to send late.
        var sent: [[UInt8]] = []
        var held: [[UInt8]] = []
    }

    struct Counts {
        var duplicates = 0
        var reordered = 0
        var pages = 0
        var sameFieldConcurrent = 0
    }

    @Test func devicesPushingDuplicatedAndReorderedBatchesAndPullingByCursorConvergeWithNoLostUpdate() throws {
        var counts = Counts()
        let replay = ProcessInfo.processInfo.environment["REHABSYNC_SEED"].flatMap(UInt64.init)
        for seed in replay.map({ [$0] }) ?? Self.seeds {
            do {
                try Self.run(seed: seed, counts: &counts)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
        print("ServerSimulationTests: \(counts.duplicates) duplicated and \(counts.reordered) re-ordered pushes, "
            + "\(counts.pages) pages, \(counts.sameFieldConcurrent) same-field concurrent writes")
        if replay == nil {
            #expect(counts.duplicates >= 30 && counts.reordered >= 30 && counts.pages >= 100 && counts.sameFieldConcurrent >= 30)
        }
    }

    static func run(seed: UInt64, counts: inout Counts) throws {
        var generator = SplitMix64(seed: seed)
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        var devices = try (0..<3).map { SimulatedDevice(device: try service.enrol(name: "Device \($0)", units: [F.unitA]).device) }
        var seen: [Dot: Set<Dot>] = [:]
        var fieldWrites: [String: [Dot]] = [:]
        var writes: [(dot: Dot, record: String, field: String)] = []
        var serverKnown: [String: Set<Dot>] = [:]

        func pull(_ index: Int) throws {
            while true {
                let page = try service.pull(device: devices[index].device, clinician: F.nurse, since: devices[index].cursor, limit: 3)
                counts.pages += 1
                for record in page.records {
                    let state = try record.state()
                    devices[index].states[record.recordID] = devices[index].states[record.recordID].map { $0.joined(with: state) } ?? state
                    // The server holds what was pushed to it: the union of what its pushers knew.
                    devices[index].known[record.recordID, default: []].formUnion(serverKnown[record.recordID, default: []])
                }
                devices[index].cursor = page.nextCursor
                if !page.hasMore { return }
            }
        }
        func push(_ index: Int, _ body: [UInt8], knowing: [String: Set<Dot>]) throws {
            _ = try service.push(device: devices[index].device, body: body)
            for (record, dots) in knowing { serverKnown[record, default: []].formUnion(dots) }
        }
        var pending: [(device: Int, body: [UInt8], knowing: [String: Set<Dot>])] = []

        // Creation: device 0 makes every record and everyone pulls it.
        var created: [(String, String, RecordState)] = []
        for record in Self.records {
            devices[0].counter += 1
            let dot = Dot(replica: devices[0].device.replicaID, counter: devices[0].counter)
            let state = try RecordState().applying(F.plan(title: record), stamp: stamp(devices[0].device.replicaID, devices[0].counter, wall: F.wall - 100_000))
            devices[0].states[record] = state
            devices[0].known[record] = [dot]
            seen[dot] = [dot]
            created.append(("carePlans", record, state))
        }
        try push(0, F.body(created), knowing: devices[0].known)
        for index in devices.indices { try pull(index) }

        let choices: [String: [JSONValue]] = [
            "title": [.string("Plan A"), .string("Plan B"), .string("Plan C")],
            "summary": [.string("Kort"), .string("Längre sammanfattning")],
            "status": [.string("draft"), .string("active"), .string("completed")],
            "needLevel": [.string("grundläggande"), .string("särskilda"), .string("avancerade")],
        ]
        let fields = choices.keys.sorted()
        for _ in 0..<120 {
            let index = Int(generator.next() % 3)
            switch generator.next() % 6 {
            case 0, 1:
                // A write on the device's own view.
                let record = Self.records[Int(generator.next() % 3)]
                let field = fields[Int(generator.next() % UInt64(fields.count))]
                let options = choices[field] ?? []
                let value = options[Int(generator.next() % UInt64(options.count))]
                devices[index].counter += 1
                let dot = Dot(replica: devices[index].device.replicaID, counter: devices[index].counter)
                let base = devices[index].states[record] ?? RecordState()
                devices[index].states[record] = try base.applying([field: value], stamp: stamp(devices[index].device.replicaID, devices[index].counter,
                                                                                                 wall: F.wall - 100_000))
                let view = devices[index].known[record, default: []]
                if fieldWrites["\(record).\(field)", default: []].contains(where: { !view.contains($0) }) { counts.sameFieldConcurrent += 1 }
                fieldWrites["\(record).\(field)", default: []].append(dot)
                devices[index].known[record, default: []].insert(dot)
                seen[dot] = devices[index].known[record]
                writes.append((dot, record, field))
            case 2:
                // Push everything the device holds; sometimes hold the batch back.
                let body = F.body(devices[index].states.sorted { $0.key < $1.key }.map { ("carePlans", $0.key, $0.value) })
                if generator.next() % 3 == 0 {
                    pending.append((index, body, devices[index].known))
                } else {
                    try push(index, body, knowing: devices[index].known)
                    devices[index].sent.append(body)
                }
            case 3:
                // A batch sent again, as after a lost acknowledgement.
                if let body = devices[index].sent.randomElement(using: &generator) {
                    _ = try service.push(device: devices[index].device, body: body)
                    counts.duplicates += 1
                }
            case 4:
                // A held-back batch arrives late, after newer ones.
                if !pending.isEmpty {
                    let late = pending.remove(at: Int(generator.next() % UInt64(pending.count)))
                    try push(late.device, late.body, knowing: late.knowing)
                    counts.reordered += 1
                }
            default:
                try pull(index)
            }
        }
        // Everything held back arrives, everyone pushes and pulls to the end.
        for late in pending { try push(late.device, late.body, knowing: late.knowing) }
        for index in devices.indices {
            try push(index, F.body(devices[index].states.map { ("carePlans", $0.key, $0.value) }), knowing: devices[index].known)
        }
        for index in devices.indices { try pull(index) }

        for record in Self.records {
            let stored = try #require(try service.store.read { try $0.record(RecordKey(collection: "carePlans", recordID: record)) })
            for device in devices {
                #expect(device.states[record]?.canonicalBytes == stored.stateBytes, "\(record) differs on a device, seed \(seed)")
            }
            let state = try stored.state()
            for write in writes where write.record == record {
                let siblings = state[write.field]?.siblings ?? []
                let kept = siblings.contains { $0.dot == write.dot || (seen[$0.dot]?.contains(write.dot) ?? false) }
                #expect(kept, "\(record).\(write.field) lost \(write.dot), seed \(seed)")
            }
        }
    }
}
