import RehabSyncCore
import RehabSyncExport
import RehabSyncStorage
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
