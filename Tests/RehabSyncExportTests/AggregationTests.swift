import Foundation
import RehabSyncCore
import RehabSyncExport
import RehabSyncStorage
import Synchronization
import Testing

struct AggregationTests {
    typealias F = ExportFixtures

    @Test func patientsAreCountedOnceAndVoidedRecordsNever() throws {
        let scratch = try ExportScratch()
        let service = try F.service(scratch, now: { F.utc(2026, 3, 1) })
        // Patient 1 has two AW019 in February; patient 2 one, voided; patient 3 one in March.
        try F.intervention(service.store, "a", patient: 1, code: "AW019", date: "2026-02-03")
        try F.intervention(service.store, "b", patient: 1, code: "AW019", date: "2026-02-04")
        try F.intervention(service.store, "c", patient: 2, code: "AW019", date: "2026-02-05")
        try F.write(service.store, "plannedInterventions", "c", ["voided": .object(["reason": .string("wrong patient"), "by": .string(F.nurse)])])
        try F.intervention(service.store, "d", patient: 3, code: "AW019", date: "2026-03-01")
        try F.intervention(service.store, "e", patient: 4, code: "XV020", date: "2026-02-06", profession: "nurse")
        try F.intervention(service.store, "f", patient: 4, code: "XV020", date: "2026-02-07", profession: "nurse")
        try F.intervention(service.store, "g", patient: 5, code: "DV111", date: "2026-02-07", status: "ongoing")
        let february = ReportingPeriod("2026-02")!
        let (figures, _) = try SnapshotReader.figures(store: service.store, periods: [february])
        let unit = try #require(figures[MonthlyAggregator.Key(unit: F.unitA, period: february)])
        #expect(unit.needsAssessmentPatients.count == 1)
        #expect(unit.minVardplanRevisions == 2)
        #expect(unit.performedTotal == 4)
        #expect(unit.performedByKVA == ["AW019": 2, "XV020": 2])
        #expect(unit.performedByProfession == ["physiotherapist": 2, "nurse": 2])
    }

    @Test func handoverAndReferralTimesGiveMediansAndPercentiles() throws {
        let scratch = try ExportScratch()
        let service = try F.service(scratch, now: { F.utc(2026, 3, 1) })
        for number in 0..<6 {
            let id = "h\(number)"
            try F.write(service.store, "handovers", id, [
                "patient": .string(F.patient(number)), "sendingUnit": .string(F.unitA), "receivingUnit": .string(F.unitB),
                "carePlan": .string("p\(number)"), "summary": .string("s"), "status": .string("initiated"),
            ], wall: F.utc(2026, 2, 1))
            try F.write(service.store, "handovers", id, ["status": .string("contactConfirmed")], wall: F.utc(2026, 2, 2 + number))
            try F.write(service.store, "referrals", "r\(number)", [
                "patient": .string(F.patient(number)), "referrer": .string(F.nurse), "referringUnit": .string(F.unitB),
                "receivingUnit": .string(F.unitA), "decision": .string(number == 0 ? "declined" : "accepted"),
                "received": .string("2026-01-2\(number)"), "decided": .string("2026-02-01"), "firstContact": .string("2026-02-0\(number + 1)"),
            ])
        }
        let february = ReportingPeriod("2026-02")!
        let (figures, _) = try SnapshotReader.figures(store: service.store, periods: [february])
        let unit = try #require(figures[MonthlyAggregator.Key(unit: F.unitA, period: february)])
        #expect(unit.handoversInitiated == 6)
        #expect(unit.handoversConfirmed == 6)
        #expect(unit.daysToConfirmation.median == 3.5)
        // Waits: 12 days each (20 Jan to 1 Feb, 21 Jan to 2 Feb, ...).
        #expect(unit.waitingDays.median == 12)
        #expect(unit.waitingDays.percentile(90) == 12)
        #expect(unit.referralsAccepted == 5)
        #expect(unit.referralsDeclined == 1)
    }

    @Test func medianAndPercentileFollowTheirDefinitions() {
        var histogram = DayHistogram()
        for days in [1, 2, 3, 4, 10, 20, 30, 40, 50, 100] { histogram.add(days) }
        #expect(histogram.median == 15)
        #expect(histogram.percentile(90) == 50)
        #expect(DayHistogram().median == nil)
    }
}

struct CanonicalStateScannerTests {
    /// Random states with conflicts: the scanner agrees with the full decoder on every field.
    @Test func theScannerReadsTheSameProvisionalValuesAsTheDecoder() throws {
        let seed = ProcessInfo.processInfo.environment["REHABSYNC_SEED"].flatMap(UInt64.init) ?? 77
        var random = SplitMix64(seed: seed)
        let replicas = (0..<3).map { ReplicaID(high: UInt64($0 + 1) << 60, low: UInt64($0)) }
        let values: [JSONValue] = [.string("a \"quoted\" \\ value"), .integer(-12), .array([.string("x"), .object(["k": .null])]),
                                   .object(["n": .array([])]), .bool(true), .double(2.5), .null]
        var conflicts = 0
        for _ in 0..<500 {
            // Two replicas write concurrently from the same base, then their states are joined.
            var base = RecordState()
            base = try base.applying(["status": values[0], "careUnits": .array([.string("u")])],
                                     stamp: WriteStamp(dot: Dot(replica: replicas[0], counter: 1), hlc: HLCTimestamp(milliseconds: 10, logical: 0), author: "a", wallMilliseconds: 5))
            var states: [RecordState] = []
            for (index, replica) in replicas.enumerated() {
                let value = values[Int(random.next() % UInt64(values.count))]
                let stamp = WriteStamp(dot: Dot(replica: replica, counter: 2 + Int64(index)), hlc: HLCTimestamp(milliseconds: 20 + Int64(random.next() % 2), logical: Int64(random.next() % 2)),
                                       author: "b", wallMilliseconds: 100 + Int64(index))
                states.append(try base.applying(random.next() % 2 == 0 ? ["status": value] : ["status": value, "needLevel": value], stamp: stamp))
            }
            let joined = states.dropFirst().reduce(states[0]) { $0.joined(with: $1) }
            if joined.isInConflict { conflicts += 1 }
            let scanned = try joined.canonicalBytes.withUnsafeBytes { try CanonicalStateScanner(wanted: ["status", "needLevel", "careUnits", "absent"]).scan($0) }
            for name in ["status", "needLevel", "careUnits"] {
                let expected = joined[name]?.provisional
                #expect(scanned[name]?.value == expected?.value, "seed \(seed)")
                #expect(scanned[name]?.wallMilliseconds == expected?.wallMilliseconds, "seed \(seed)")
            }
            #expect(scanned["absent"] == nil)
        }
        #expect(conflicts > 100, "seed \(seed): only \(conflicts) states in conflict")
    }

    @Test func malformedBytesThrowInsteadOfCrashing() {
        for text in ["", "{", #"{"context":{},"fields":{"a":[{"author":"x""#, #"{"context":{},"fields":{"a":[]}}"#, "[1,2]"] {
            #expect(throws: CanonicalStateScanner.Malformed.self) {
                _ = try Array(text.utf8).withUnsafeBytes { try CanonicalStateScanner(wanted: ["a"]).scan($0) }
            }
        }
    }
}

struct SnapshotReaderTests {
    typealias F = ExportFixtures

    @Test func assessmentsCountOnTheirSwedishDateAndAnEarlierOfferCounts() throws {
        let scratch = try ExportScratch()
        let service = try F.service(scratch, now: { F.utc(2026, 3, 5) })
        func assessment(_ id: String, _ patient: Int, _ authored: String) throws {
            try F.write(service.store, "assessments", id, [
                "patient": .string(F.patient(patient)), "careUnits": .array([.string(F.unitA)]), "questionnaire": .string("q"),
                "questionnaireVersion": .string("1"), "answers": .object([:]), "timepoint": .string("other"), "source": .string("patient"),
                "authored": .string(authored), "status": .string("completed"),
            ])
        }
        // 00:30 on 1 February in Sweden, written in UTC; 23:30 on 28 February, written at +02:00.
        try assessment("early", 1, "2026-01-31T23:30:00Z")
        try assessment("late", 2, "2026-03-01T00:30:00+02:00")
        try assessment("outside", 3, "2026-01-31T22:30:00Z")
        // An offer made long before the month still counts for a plan established in it.
        try F.write(service.store, "carePlans", "plan", [
            "patient": .string(F.patient(4)), "careUnits": .array([.string(F.unitA)]), "title": .string("Plan"),
            "status": .string("active"), "needLevel": .string("avancerade"), "established": .string("2026-02-10"),
        ])
        try F.intervention(service.store, "offer", patient: 4, code: "DV111", date: "2025-11-02", status: "planned")
        let february = ReportingPeriod("2026-02")!
        let (figures, _) = try SnapshotReader.figures(store: service.store, periods: [february])
        let unit = try #require(figures[MonthlyAggregator.Key(unit: F.unitA, period: february)])
        #expect(unit.structuredInstrumentPatients.count == 2)
        #expect(unit.beyondBasicPatients.count == 1)
        #expect(unit.beyondBasicOffered == 1)
    }

    /// Random records over a year: scanning the bytes gives the same figures as decoding every state in full.
    @Test func theScanGivesTheSameFiguresAsDecodingEveryState() throws {
        let seed = ProcessInfo.processInfo.environment["REHABSYNC_SEED"].flatMap(UInt64.init) ?? 4_242
        var random = SplitMix64(seed: seed)
        let scratch = try ExportScratch()
        let service = try F.service(scratch, now: { F.utc(2027, 1, 5) })
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func date() -> String { String(format: "2026-%02d-%02d", Int(random.next() % 12) + 1, Int(random.next() % 28) + 1) }
        for number in 0..<400 {
            let patient = Int(random.next() % 60)
            let unit = pick([F.unitA, F.unitB])
            switch number % 4 {
            case 0:
                try F.write(service.store, "carePlans", "p\(number)", [
                    "patient": .string(F.patient(patient)), "careUnits": .array([.string(unit)]), "title": .string("P"),
                    "status": .string(pick(["draft", "active", "completed"])), "needLevel": .string(pick(["grundläggande", "särskilda", "avancerade"])),
                    "established": .string(date()),
                ])
            case 1:
                try F.intervention(service.store, "i\(number)", patient: patient, code: pick(["AW019", "XV019", "XV020", "DV111"]), date: date(),
                                   unit: unit, profession: pick(["nurse", "dietitian", "psychologist"]), status: pick(["planned", "completed", "cancelled"]))
            case 2:
                try F.write(service.store, "referrals", "r\(number)", [
                    "patient": .string(F.patient(patient)), "referrer": .string(F.nurse), "referringUnit": .string(F.unitB),
                    "receivingUnit": .string(unit), "decision": .string(pick(["accepted", "declined"])), "received": .string(date()),
                    "decided": .string(date()), "firstContact": .string(date()),
                ])
            default:
                try F.write(service.store, "handovers", "h\(number)", [
                    "patient": .string(F.patient(patient)), "sendingUnit": .string(unit), "receivingUnit": .string(F.unitB),
                    "carePlan": .string("p"), "summary": .string("s"), "status": .string(pick(["initiated", "contactConfirmed"])),
                ], wall: F.utc(2026, Int(random.next() % 12) + 1, 15))
            }
        }
        let periods = Set([ReportingPeriod("2026-03")!, ReportingPeriod("2026-07")!])
        let (scanned, _) = try SnapshotReader.figures(store: service.store, periods: periods)
        var full = MonthlyAggregator(periods: periods)
        let all = try service.store.read { try $0.allRecords() }
        for collection in MonthlyAggregator.collectionOrder {
            for record in all where record.collection == collection {
                full.add(collection: collection, patient: record.patient, state: try record.state())
            }
        }
        #expect(scanned == full.result(), "seed \(seed)")
        #expect(scanned.values.contains { $0.beyondBasicOffered > 0 }, "seed \(seed): no offer was generated")
        #expect(scanned.count >= 4, "seed \(seed)")
    }
}

struct ConsistentSnapshotTests {
    typealias F = ExportFixtures

    /// While one thread keeps adding February interventions, each computation's count is
    /// exactly what its snapshot held: one more per change after the start.
    @Test func figuresComputedWhileSyncsGoOnComeFromOneSnapshot() throws {
        let scratch = try ExportScratch()
        let service = try F.service(scratch, now: { F.utc(2026, 3, 5) })
        for number in 0..<200 { try F.intervention(service.store, "base-\(number)", patient: number, code: "DV111", date: "2026-02-03") }
        let start = try service.store.read { try $0.clockState().sequence }
        let february = ReportingPeriod("2026-02")!
        let writing = Mutex(true)
        let writer = Thread {
            var number = 0
            while writing.withLock({ $0 }) {
                try? F.intervention(service.store, "live-\(number)", patient: 1_000 + number, code: "DV111", date: "2026-02-04")
                number += 1
            }
        }
        writer.start()
        defer { writing.withLock { $0 = false } }
        var distinct = Set<Int64>()
        for _ in 0..<20 {
            let (figures, sequence) = try SnapshotReader.figures(store: service.store, periods: [february])
            let performed = figures[MonthlyAggregator.Key(unit: F.unitA, period: february)]?.performedTotal ?? 0
            #expect(Int64(performed) == 200 + sequence - start, "at sequence \(sequence)")
            distinct.insert(sequence)
        }
        #expect(distinct.count > 1, "the writer never committed during a computation")
    }
}
