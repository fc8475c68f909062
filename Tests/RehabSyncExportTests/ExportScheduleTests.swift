import RehabSyncDomain
import RehabSyncExport
import Testing

struct ExportScheduleTests {
    typealias F = ExportFixtures
    let schedule = ExportSchedule(job: ExportJob(name: "monthly-register-export"))

    @Test func theRunOnThe20thAtTwoFollowsWinterAndSummerTime() {
        // 20 February 02:00 CET is 01:00 UTC; 20 April 02:00 CEST is 00:00 UTC.
        #expect(schedule.nextRun(after: F.utc(2026, 2, 1)) == F.utc(2026, 2, 20, 1))
        #expect(schedule.nextRun(after: F.utc(2026, 3, 21)) == F.utc(2026, 4, 20, 0))
        #expect(schedule.period(ofRunAt: F.utc(2026, 4, 20, 0)).description == "2026-03")
    }

    @Test func theScheduleCrossesTheMarchChange() {
        // From March (winter time) to April (summer time): the 20th at 02:00 both times.
        let march = schedule.nextRun(after: F.utc(2026, 3, 1))
        let april = schedule.nextRun(after: march)
        #expect(march == F.utc(2026, 3, 20, 1))
        #expect(april == F.utc(2026, 4, 20, 0))
        #expect(SwedishCivilTime.localTime(atUnixMilliseconds: april)?.hour == 2)
        // A job set for 02:30 on the day of the change runs at 03:30 CEST, once.
        let gap = ExportSchedule(job: ExportJob(name: "j", schedule: .init(dayOfMonth: 28, hour: 2, minute: 30)))
        #expect(gap.runInstant(inMonth: ReportingPeriod("2027-03")!) == F.utc(2027, 3, 28, 1, 30))
    }

    @Test func theScheduleCrossesTheOctoberChange() {
        let october = schedule.nextRun(after: F.utc(2026, 10, 1))
        let november = schedule.nextRun(after: october)
        #expect(october == F.utc(2026, 10, 20, 0))
        #expect(november == F.utc(2026, 11, 20, 1))
        // 02:30 on the night clocks go back happens twice; the job runs at the first.
        let overlap = ExportSchedule(job: ExportJob(name: "j", schedule: .init(dayOfMonth: 25, hour: 2, minute: 30)))
        let instant = overlap.runInstant(inMonth: ReportingPeriod("2026-10")!)
        #expect(instant == F.utc(2026, 10, 25, 0, 30))
        #expect(overlap.runs(after: F.utc(2026, 10, 24), upTo: F.utc(2026, 10, 26)) == [instant])
    }

    @Test func at2330OnThe19thInWinterTheRunIsStillAheadAndTheDateIsThe19th() {
        // 23:30 CET on 19 January 2027 is 22:30 UTC.
        let evening = F.utc(2027, 1, 19, 22, 30)
        #expect(CivilDate.swedishToday(unixMilliseconds: evening).iso == "2027-01-19")
        #expect(schedule.nextRun(after: evening) == F.utc(2027, 1, 20, 1))
        #expect(schedule.latestRun(atOrBefore: evening) == F.utc(2026, 12, 20, 1))
        #expect(schedule.runs(after: F.utc(2027, 1, 1), upTo: evening).isEmpty)
        #expect(schedule.period(ofRunAt: F.utc(2027, 1, 20, 1)).description == "2026-12")
    }

    @Test func missedRunsAreListedOldestFirst() {
        let runs = schedule.runs(after: F.utc(2026, 1, 25), upTo: F.utc(2026, 4, 25))
        #expect(runs == [F.utc(2026, 2, 20, 1), F.utc(2026, 3, 20, 1), F.utc(2026, 4, 20, 0)])
    }
}
