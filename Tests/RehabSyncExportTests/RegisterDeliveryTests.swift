import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncExport
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// The export against the reference receiver over loopback: real SQLite, real libcurl,
/// real sockets; only the clock and the waits between retries are the test's.
struct RegisterDeliveryTests {
    typealias F = ExportFixtures
    static let february = ReportingPeriod("2026-02")!
    static let january = ReportingPeriod("2026-01")!

    @Test("A run reports its deliveries as it makes them: the total once computed, then one more after each")
    func aRunReportsItsProgress() throws {
        let harness = try DeliveryHarness(at: F.utc(2026, 2, 1), february: false)
        try F.february(harness.service.store, unit: F.unitA)
        try F.february(harness.service.store, unit: F.unitB)
        harness.clock.set(F.utc(2026, 3, 20, 1))
        var reports: [[Int]] = []
        let report = try harness.exporter().run(job: F.job, period: Self.february) { done, total in reports.append([done, total]) }
        #expect(report.delivered.count == 2)
        #expect(reports == [[0, 2], [1, 2], [2, 2]])
        var again: [[Int]] = []
        _ = try harness.exporter().run(job: F.job, period: Self.february) { done, total in again.append([done, total]) }
        #expect(again == [[0, 0]])
    }

    @Test func aRunOnThe20thSendsLastMonthsReportsOnceAndARerunSendsNothingNew() throws {
        let harness = try DeliveryHarness(at: F.utc(2026, 2, 1), february: false)
        let (receiver, clock, service) = (harness.receiver, harness.clock, harness.service)
        let exporter = try harness.exporter()
        #expect(exporter.runDue(at: clock.now).isEmpty)
        try F.february(service.store, unit: F.unitA)
        try F.february(service.store, unit: F.unitB)
        // 23:30 on the 19th (CET) is not yet the 20th.
        clock.set(F.utc(2026, 2, 19, 22, 30))
        #expect(exporter.runDue(at: clock.now).isEmpty)
        // The 20th of February reports January, which had nothing.
        clock.set(F.utc(2026, 2, 20, 1))
        #expect(exporter.runDue(at: clock.now).map(\.delivered) == [[]])
        clock.set(F.utc(2026, 3, 19, 22, 30))
        #expect(exporter.runDue(at: clock.now).isEmpty)
        // 02:00 CET on 20 March.
        clock.set(F.utc(2026, 3, 20, 1))
        let reports = exporter.runDue(at: clock.now)
        #expect(reports.map(\.period) == [Self.february])
        #expect(reports.first?.outcome == "completed")
        #expect(Set(receiver.accepted.values.map(\.unit)) == [F.unitA, F.unitB])
        #expect(receiver.accepted.values.allSatisfy { $0.period == "2026-02" && $0.revision == 1 })
        #expect(receiver.answers == [201: 2])

        clock.set(F.utc(2026, 3, 20, 1, 15))
        #expect(exporter.runDue(at: clock.now).isEmpty)
        let rerun = try exporter.run(job: F.job, period: Self.february)
        #expect(rerun.delivered.isEmpty)
        #expect(rerun.unchanged == 2)
        #expect(receiver.answers == [201: 2])
        let status = try exporter.status(job: F.job)
        let reported = try #require(status.objectValue?["reports"]?.arrayValue)
        #expect(reported.count == 2)
        #expect(reported.allSatisfy { $0.objectValue?["deliveredRevision"] == .integer(1) })
    }

    @Test func killingTheExporterBetweenTheAnswerAndTheLedgerCommitDoesNotCountTheMonthTwice() throws {
        struct Crash: Error {}
        let harness = try DeliveryHarness()
        let (receiver, service) = (harness.receiver, harness.service)
        let crashed = Mutex(false)
        let doomed = try harness.exporter { _ in
            crashed.withLock { $0 = true }
            throw Crash()
        }
        #expect(throws: Crash.self) { try doomed.run(job: F.job, period: Self.february) }
        #expect(crashed.withLock { $0 })
        #expect(receiver.answers == [201: 1])
        let pending = try service.store.read { try ExportLedger(connection: $0.connection).deliveries(job: F.job) }
        #expect(pending.map(\.state) == [.pending])

        // The restarted exporter sends the stored bytes again under the same key; the
        // register recognises them.
        let restarted = try harness.exporter()
        let report = try restarted.run(job: F.job, period: Self.february)
        #expect(report.outcome == "completed")
        #expect(report.delivered == pending.map(\.idempotencyKey))
        #expect(receiver.answers == [201: 1, 200: 1])
        #expect(receiver.accepted.count == 1)
        #expect(receiver.accepted.values.first?.revision == 1)
    }

    @Test func failuresInjectedByTheRegisterAreRetriedHonouringRetryAfter() throws {
        let harness = try DeliveryHarness()
        let (receiver, service) = (harness.receiver, harness.service)
        let sleeps = SleepLog()
        let exporter = try harness.exporter(sleep: sleeps)
        receiver.failNext(2, status: 503, retryAfterSeconds: 3)
        let report = try exporter.run(job: F.job, period: Self.february)
        #expect(report.outcome == "completed")
        #expect(receiver.answers == [503: 2, 201: 1])
        #expect(sleeps.all == [3_000, 3_000])

        // 429 and 500 without Retry-After back off exponentially (equal jitter at 0.5: 750 ms, then 1.5 s).
        try F.february(service.store, unit: F.unitB)
        receiver.failNext(2, status: 429)
        let second = try exporter.run(job: F.job, period: Self.february)
        #expect(second.outcome == "completed")
        #expect(sleeps.all == [3_000, 3_000, 750, 1_500])
        let attempts = try service.store.read { queries in
            try queries.connection.prepare("SELECT http_status FROM export_attempts ORDER BY id").rows { Int($0.int64(at: 0)) }
        }
        #expect(attempts == [503, 503, 201, 429, 429, 201])
    }

    @Test func aRefusalWithA4xxStopsAtOnceAndIsReportedWithTheRegistersAnswer() throws {
        let harness = try DeliveryHarness()
        let receiver = harness.receiver
        let sleeps = SleepLog()
        let exporter = try harness.exporter(sleep: sleeps)
        receiver.failNext(1, status: 403)
        let report = try exporter.run(job: F.job, period: Self.february)
        #expect(report.outcome == "failed")
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("register answered 403") == true)
        #expect(sleeps.all.isEmpty)
        #expect(receiver.answers == [403: 1])
        let status = try exporter.status(job: F.job)
        let entry = try #require(status.objectValue?["reports"]?.arrayValue?.first?.objectValue)
        #expect(entry["failure"]?.objectValue?["status"] == .integer(403))
        #expect(entry["failure"]?.objectValue?["answer"]?.stringValue?.contains("told to fail") == true)
        // A refused month is settled: the scheduler does not hammer the register with it.
        #expect(exporter.runDue(at: F.utc(2026, 3, 20, 2)).isEmpty)
        #expect(receiver.answers == [403: 1])
        // Once the cause is fixed, a run by hand sends the same revision again.
        let retried = try exporter.run(job: F.job, period: Self.february)
        #expect(retried.outcome == "completed")
        #expect(receiver.answers == [403: 1, 201: 1])
        #expect(receiver.accepted.values.map(\.revision) == [1])
    }

    @Test func networkErrorsAreRetriedAndLeaveTheDeliveryPendingForTheNextRun() throws {
        let harness = try DeliveryHarness()
        let service = harness.service
        // A port that was just free: nothing listens there.
        let (probe, url) = try F.receiver(harness.scratch, name: "gone")
        probe.stop()
        let sleeps = SleepLog()
        let exporter = try F.exporter(service.store, url: url, clock: harness.clock, sleep: sleeps, maxAttempts: 3)
        let report = try exporter.run(job: F.job, period: Self.february)
        #expect(report.outcome == "incomplete")
        #expect(sleeps.all.count == 2)
        let deliveries = try service.store.read { try ExportLedger(connection: $0.connection).deliveries(job: F.job) }
        #expect(deliveries.map(\.state) == [.pending])
    }

    @Test func lateDataProducesExactlyOneCorrectedRevisionAndUnchangedMonthsAreNotResent() throws {
        let harness = try DeliveryHarness(at: F.utc(2026, 1, 1), february: false)
        let (receiver, clock, service) = (harness.receiver, harness.clock, harness.service)
        let exporter = try harness.exporter()
        exporter.runDue(at: clock.now)
        for number in 0..<6 {
            try F.intervention(service.store, "jan-\(number)", patient: 100 + number, code: "AW019", date: "2026-01-1\(number)")
        }
        try F.february(service.store)
        clock.set(F.utc(2026, 2, 20, 1))
        // The run of 20 January (December, nothing to report) was missed; it is caught up too.
        #expect(exporter.runDue(at: clock.now).map(\.period) == [ReportingPeriod("2025-12")!, Self.january])
        clock.set(F.utc(2026, 3, 20, 1))
        #expect(exporter.runDue(at: clock.now).map(\.unchanged) == [1])
        #expect(Set(receiver.accepted.keys) == ["\(F.job)/\(F.unitA)/2026-01/r1", "\(F.job)/\(F.unitA)/2026-02/r1"])

        // A January record synced in March.
        try F.intervention(service.store, "jan-late", patient: 200, code: "AW019", date: "2026-01-31")
        clock.set(F.utc(2026, 4, 20, 0))
        let april = exporter.runDue(at: clock.now)
        #expect(april.map(\.period) == [ReportingPeriod("2026-03")!])
        #expect(april.first?.delivered == ["\(F.job)/\(F.unitA)/2026-01/r2"])
        #expect(april.first?.unchanged == 1)
        #expect(receiver.accepted.count == 3)
        #expect(receiver.answers == [201: 3])
        // Nothing changed since: nothing is sent.
        let again = try exporter.run(job: F.job, period: ReportingPeriod("2026-03")!)
        #expect(again.delivered.isEmpty)
        #expect(receiver.answers == [201: 3])
    }

    @Test func theSameJobAndPeriodNeverRunTwiceAtOnceEvenFromAnotherConnection() throws {
        let harness = try DeliveryHarness()
        let receiver = harness.receiver
        // A second database handle on the same file stands for a second process.
        let second = try F.service(harness.scratch, now: harness.clock.function)
        let other = try F.exporter(second.store, url: harness.url, clock: harness.clock)
        let refusal = Mutex<ExportError?>(nil)
        let exporter = try harness.exporter { _ in
            do { _ = try other.run(job: F.job, period: Self.february) } catch let error as ExportError {
                refusal.withLock { $0 = error }
            }
        }
        let report = try exporter.run(job: F.job, period: Self.february)
        #expect(report.outcome == "completed")
        #expect(refusal.withLock { $0?.code } == "busy")
        #expect(receiver.answers == [201: 1])
        // Once the first run has finished the lease is free again.
        #expect(try other.run(job: F.job, period: Self.february).unchanged == 1)
    }

    @Test func runsFollowSwedishTimeAcrossBothDaylightSavingChanges() throws {
        let harness = try DeliveryHarness(at: F.utc(2026, 3, 1), february: false)
        let (receiver, clock, service) = (harness.receiver, harness.clock, harness.service)
        for month in [3, 9, 10] {
            for number in 0..<6 {
                try F.intervention(service.store, "m\(month)-\(number)", patient: number, code: "AW019", date: String(format: "2026-%02d-1%d", month, number))
            }
        }
        let exporter = try harness.exporter()
        exporter.runDue(at: clock.now)
        func due(_ instant: Int64) -> [String] {
            clock.set(instant)
            return exporter.runDue(at: instant).map(\.period.description)
        }
        // Summer time from 29 March: 02:00 on 20 April is 00:00 UTC, not 01:00.
        #expect(due(F.utc(2026, 3, 20, 1)) == ["2026-02"])
        #expect(due(F.utc(2026, 4, 19, 23, 59)).isEmpty)
        #expect(due(F.utc(2026, 4, 20, 0)) == ["2026-03"])
        #expect(receiver.accepted.keys.sorted() == ["\(F.job)/\(F.unitA)/2026-03/r1"])
        // Back to winter time on 25 October: 02:00 on 20 November is 01:00 UTC.
        _ = due(F.utc(2026, 10, 20, 0))
        #expect(due(F.utc(2026, 11, 20, 0, 59)).isEmpty)
        #expect(due(F.utc(2026, 11, 20, 1)) == ["2026-10"])
        #expect(Set(receiver.accepted.values.map(\.period)) == ["2026-03", "2026-09", "2026-10"])
        #expect(receiver.answers == [201: 3])
    }
}
