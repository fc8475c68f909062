/// Civil time in Sweden (Europe/Stockholm) as a pure rule, so that "today", the export
/// schedule and the month an event falls in agree everywhere and do not depend on the
/// host's tzdata: CET (UTC+1) in winter and CEST (UTC+2) in summer, changing by the EU rule
/// at 01:00 UTC on the last Sunday of March and of October (Directive 2000/84/EC). Sweden has
/// followed it since 1996; instants before that get the same rule, which no record needs.
public enum SwedishCivilTime {
    /// A wall-clock reading in Sweden: a date and the seconds since its local midnight.
    public struct LocalTime: Hashable, Sendable {
        public let date: CivilDate
        public let secondsOfDay: Int

        public var hour: Int { secondsOfDay / 3_600 }
        public var minute: Int { secondsOfDay % 3_600 / 60 }
    }

    static let winterOffsetSeconds = 3_600
    static let summerOffsetSeconds = 7_200
    private static let millisecondsPerSecond: Int64 = 1_000

    /// Seconds east of UTC in force at the instant: 3600 (CET) or 7200 (CEST).
    public static func utcOffsetSeconds(atUnixMilliseconds instant: Int64) -> Int {
        // Safe because a year outside 1...9999 only arises from absurd clocks; winter time is as good as any there.
        guard let year = CivilDate.from(unixMilliseconds: instant)?.year,
              let start = summerTimeStart(year: year), let end = summerTimeEnd(year: year)
        else { return winterOffsetSeconds }
        return instant >= start && instant < end ? summerOffsetSeconds : winterOffsetSeconds
    }

    /// The instant summer time begins in `year`: 01:00 UTC on the last Sunday of March.
    public static func summerTimeStart(year: Int) -> Int64? { lastSundayOneAMUTC(year: year, month: 3) }

    /// The instant summer time ends in `year`: 01:00 UTC on the last Sunday of October.
    public static func summerTimeEnd(year: Int) -> Int64? { lastSundayOneAMUTC(year: year, month: 10) }

    private static func lastSundayOneAMUTC(year: Int, month: Int) -> Int64? {
        guard let last = CivilDate(year: year, month: month, day: CivilDate.daysInMonth(year: year, month: month)) else { return nil }
        // 1970-01-01 was a Thursday, so (days + 4) mod 7 counts days since the last Sunday.
        let days = last.daysSinceEpoch
        let sinceSunday = ((days + 4) % 7 + 7) % 7
        return Int64(days - sinceSunday) * 86_400_000 + 3_600_000
    }

    /// The Swedish wall-clock reading at the instant, or nil outside years 1...9999.
    public static func localTime(atUnixMilliseconds instant: Int64) -> LocalTime? {
        let offset = utcOffsetSeconds(atUnixMilliseconds: instant)
        guard let date = CivilDate.from(unixMilliseconds: instant, utcOffsetSeconds: offset) else { return nil }
        let localSeconds = instant / millisecondsPerSecond + Int64(offset)
        let seconds = Int(((localSeconds % 86_400) + 86_400) % 86_400)
        return LocalTime(date: date, secondsOfDay: seconds)
    }

    /// The instant a Swedish clock shows `hour:minute` on `date`.
    ///
    /// A reading that happens twice (02:00–02:59 on the last Sunday of October) gives the
    /// first, in summer time, so a job set for then runs once and as early as it can. A
    /// reading that never happens (02:00–02:59 on the last Sunday of March) is read with the
    /// winter offset, which lands the same distance after the jump: 02:30 becomes 03:30 CEST.
    public static func instant(date: CivilDate, hour: Int, minute: Int) -> Int64 {
        let local = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3_600 + minute * 60)
        let asSummer = (local - Int64(summerOffsetSeconds)) * millisecondsPerSecond
        if utcOffsetSeconds(atUnixMilliseconds: asSummer) == summerOffsetSeconds { return asSummer }
        return (local - Int64(winterOffsetSeconds)) * millisecondsPerSecond
    }
}
