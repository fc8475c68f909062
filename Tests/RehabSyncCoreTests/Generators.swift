import RehabSyncCore

/// Random values for property tests, all drawn from a seeded generator.
enum Generators {
    static let fieldNames = ["title", "summary", "status", "needLevel", "contactNurse", "careUnits"]

    static func int(_ range: Range<Int>, using generator: inout SplitMix64) -> Int {
        Int.random(in: range, using: &generator)
    }

    static func jsonValue(using generator: inout SplitMix64, depth: Int) -> JSONValue {
        switch int(0..<(depth > 0 ? 7 : 5), using: &generator) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2: return .integer(Int64(bitPattern: generator.next()) >> Int64(int(0..<63, using: &generator)))
        case 3:
            let value = Double(Int64(bitPattern: generator.next()) % 1_000_000) / 1_000.0
            return .double(value == 0 ? 0 : value)
        case 4:
            let alphabet = Array("aåäö Z\"\\\n\u{1}😀é")
            return .string(String((0..<int(0..<8, using: &generator)).map { _ in alphabet[int(0..<alphabet.count, using: &generator)] }))
        case 5:
            return .array((0..<int(0..<4, using: &generator)).map { _ in jsonValue(using: &generator, depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<int(0..<4, using: &generator) {
                members["k\(int(0..<6, using: &generator))"] = jsonValue(using: &generator, depth: depth - 1)
            }
            return .object(members)
        }
    }
}

/// A replica in a simulation: its own counter and clock, and its state of each record.
struct SimulatedReplica {
    let id: ReplicaID
    var counter: Int64 = 0
    var clock = HybridLogicalClock()
    var records: [String: RecordState] = [:]
}

/// A write as the simulation remembers it, to check "no lost update" afterwards.
struct RecordedWrite {
    let record: String
    let dot: Dot
    let fields: [String]
    /// What the writer had seen, this write included, by the code under test.
    let context: VersionVector
}

/// The cases worth generating, counted from the simulation's own model of who saw what
/// (plain sets of dots, not the code under test), so that a test can require them.
struct InterestingCases: CustomStringConvertible {
    /// Writes to a field that another write, not seen by this one, had written already.
    var sameFieldConcurrent = 0
    /// Joins that left a field with three or more siblings.
    var threeOrMoreSiblings = 0
    /// Writes that replaced a conflict they saw while another write to the field was
    /// still unseen by them: a resolution made on a partial view.
    var resolutionAfterPartialView = 0
    /// Writes that void the record.
    var voiding = 0

    var description: String {
        "\(sameFieldConcurrent) same-field concurrent writes, \(threeOrMoreSiblings) joins with 3+ siblings, "
            + "\(resolutionAfterPartialView) resolutions after a partial view, \(voiding) voidings"
    }

    static func + (left: Self, right: Self) -> Self {
        Self(sameFieldConcurrent: left.sameFieldConcurrent + right.sameFieldConcurrent,
             threeOrMoreSiblings: left.threeOrMoreSiblings + right.threeOrMoreSiblings,
             resolutionAfterPartialView: left.resolutionAfterPartialView + right.resolutionAfterPartialView,
             voiding: left.voiding + right.voiding)
    }
}

/// Random replicas making random writes and random pairwise syncs of a few records.
///
/// Beside the replicas' states it keeps an independent model: for each replica and record
/// the set of dots it has received, and for each write the set its writer had seen. The
/// no-lost-update check and the case counts use the model, never the states' contexts.
struct Simulation {
    var replicas: [SimulatedReplica]
    var writes: [RecordedWrite] = []
    var writeContexts: [Dot: VersionVector] = [:]
    /// The model: dots each replica has received, per record.
    private(set) var known: [[String: Set<Dot>]]
    /// The model: what the writer of each dot had seen when writing it, itself included.
    private(set) var seen: [Dot: Set<Dot>] = [:]
    /// The model: every write to "record.field", in the order made.
    private var fieldWrites: [String: [Dot]] = [:]
    private(set) var cases = InterestingCases()
    var generator: SplitMix64
    var wall: Int64 = 1_700_000_000_000
    let recordIDs = ["plan-1", "plan-2"]
    private(set) var operations = 0

    init(seed: UInt64, replicaCount: Int) {
        generator = SplitMix64(seed: seed)
        var ids = Set<ReplicaID>()
        while ids.count < replicaCount { ids.insert(ReplicaID.random(using: &generator)) }
        replicas = ids.sorted().map { SimulatedReplica(id: $0) }
        known = Array(repeating: [:], count: replicaCount)
    }

    mutating func randomStep() throws {
        operations += 1
        // Wall clocks wander, sometimes backwards, to exercise the hybrid clock.
        wall += Int64(Generators.int(-50..<200, using: &generator))
        if Generators.int(0..<3, using: &generator) == 0 {
            let from = Generators.int(0..<replicas.count, using: &generator)
            let to = Generators.int(0..<replicas.count, using: &generator)
            sync(from: from, to: to)
        } else {
            try write(at: Generators.int(0..<replicas.count, using: &generator))
        }
    }

    mutating func write(at index: Int, fields chosen: [String: JSONValue]? = nil, record: String? = nil) throws {
        let record = record ?? recordIDs[Generators.int(0..<recordIDs.count, using: &generator)]
        var values = chosen ?? [:]
        if chosen == nil {
            if Generators.int(0..<12, using: &generator) == 0 {
                values["voided"] = .object(["reason": .string("entered in error"), "by": .string("SE2321000016-\(index)")])
            } else {
                for _ in 0..<Generators.int(1..<3, using: &generator) {
                    let name = Generators.fieldNames[Generators.int(0..<Generators.fieldNames.count, using: &generator)]
                    values[name] = Generators.jsonValue(using: &generator, depth: 1)
                }
            }
        }
        replicas[index].counter += 1
        let hlc = replicas[index].clock.tick(wallMilliseconds: wall)
        let dot = Dot(replica: replicas[index].id, counter: replicas[index].counter)
        let before = replicas[index].records[record] ?? RecordState()
        let after = try before.applying(values, stamp: WriteStamp(dot: dot, hlc: hlc, author: "SE2321000016-\(index)", wallMilliseconds: wall))
        replicas[index].records[record] = after
        writes.append(RecordedWrite(record: record, dot: dot, fields: Array(values.keys), context: after.context))
        writeContexts[dot] = after.context
        observeWrite(dot, at: index, record: record, fields: Array(values.keys))
    }

    /// Updates the model for a write and counts what kind of write it was.
    private mutating func observeWrite(_ dot: Dot, at index: Int, record: String, fields: [String]) {
        let view = known[index][record, default: []]
        for field in fields {
            let prior = fieldWrites["\(record).\(field)", default: []]
            let visible = prior.filter(view.contains)
            // The siblings the writer's own state shows: visible writes no visible write saw.
            let shown = visible.filter { candidate in !visible.contains { $0 != candidate && seen[$0]?.contains(candidate) == true } }
            let unseen = prior.contains { !view.contains($0) }
            if unseen { cases.sameFieldConcurrent += 1 }
            if shown.count >= 2, unseen { cases.resolutionAfterPartialView += 1 }
            if field == "voided" { cases.voiding += 1 }
            fieldWrites["\(record).\(field)", default: []].append(dot)
        }
        known[index][record, default: []].insert(dot)
        seen[dot] = known[index][record]
    }

    /// One-way sync: `to` joins everything `from` holds.
    mutating func sync(from: Int, to: Int) {
        for (record, state) in replicas[from].records {
            let existing = replicas[to].records[record] ?? RecordState()
            let joined = existing.joined(with: state)
            replicas[to].records[record] = joined
            if joined.fields.contains(where: { $0.siblings.count >= 3 }) && joined != existing { cases.threeOrMoreSiblings += 1 }
            for field in state.fields {
                for sibling in field.siblings {
                    _ = replicas[to].clock.observe(sibling.hlc, wallMilliseconds: wall)
                }
            }
            known[to][record, default: []].formUnion(known[from][record, default: []])
        }
    }

    /// Everyone pushes to replica 0, then everyone pulls from it: the server's role.
    mutating func exchangeAll() {
        for index in replicas.indices where index != 0 { sync(from: index, to: 0) }
        for index in replicas.indices where index != 0 { sync(from: 0, to: index) }
    }
}
