import RehabSyncDomain

/// When a job runs and what each run reports, in Swedish civil time: pure arithmetic over
/// instants in Unix milliseconds, so tests give it any moment without waiting for it.
public struct ExportSchedule: Hashable, Sendable {
    public let job: ExportJob

    public init(job: ExportJob) {
        self.job = job
    }

    /// The instant of the run in `period`'s month (the job's day and time, Swedish time).
    public func runInstant(inMonth month: ReportingPeriod) -> Int64 {
        // Safe because days 1 to 28 exist in every month.
        let date = CivilDate(year: month.year, month: month.month, day: job.schedule.dayOfMonth)!
        return SwedishCivilTime.instant(date: date, hour: job.schedule.hour, minute: job.schedule.minute)
    }

    /// The first run strictly after `instant`.
    public func nextRun(after instant: Int64) -> Int64 {
        let month = Self.month(of: instant)
        let candidate = runInstant(inMonth: month)
        if candidate > instant { return candidate }
        return runInstant(inMonth: month.next)
    }

    /// The last run at or before `instant`.
    public func latestRun(atOrBefore instant: Int64) -> Int64 {
        let month = Self.month(of: instant)
        let candidate = runInstant(inMonth: month)
        if candidate <= instant { return candidate }
        // Safe in practice: only a clock before year 1 has no previous month.
        return runInstant(inMonth: month.previous ?? month)
    }

    /// The month a run at `instant` reports: the calendar month before the Swedish date of the run.
    public func period(ofRunAt instant: Int64) -> ReportingPeriod {
        let month = Self.month(of: instant)
        return job.period == .previousCalendarMonth ? (month.previous ?? month) : month
    }

    /// The runs due in `(after, upTo]`, oldest first, at most `limit` (a server down for years
    /// does not queue years of runs).
    public func runs(after: Int64, upTo: Int64, limit: Int = 24) -> [Int64] {
        var runs: [Int64] = []
        var instant = after
        while runs.count < limit {
            let next = nextRun(after: instant)
            guard next <= upTo else { break }
            runs.append(next)
            instant = next
        }
        return runs
    }

    /// The Swedish calendar month of an instant.
    public static func month(of instant: Int64) -> ReportingPeriod {
        ReportingPeriod(containing: CivilDate.swedishToday(unixMilliseconds: instant))
    }
}

extension ReportingPeriod {
    /// The month after; the year 9999 has none, and stays put.
    public var next: ReportingPeriod {
        (month == 12 ? ReportingPeriod(year: year + 1, month: 1) : ReportingPeriod(year: year, month: month + 1)) ?? self
    }
}
