/// A date in the proleptic Gregorian calendar with no time and no time zone: a birth
/// date, a plan's start date, "today" for the personnummer century rule.
///
/// Years are limited to 1...9999, the range `YYYY-MM-DD` can write without an expanded
/// year, so every value has exactly one ISO form and every ISO form parses back.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The years a civil date may have.
    public static let supportedYears = 1...9999

    private static let millisecondsPerDay: Int64 = 86_400_000

    /// The date, or nil when it does not exist (month 13, day 0, 29 February in a common
    /// year, a year outside ``supportedYears``).
    public init?(year: Int, month: Int, day: Int) {
        guard Self.supportedYears.contains(year), (1...12).contains(month) else { return nil }
        guard (1...Self.daysInMonth(year: year, month: month)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`: ten ASCII characters, zero-padded, no time, no
    /// surrounding whitespace.
    public init?(iso text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        guard let year = Self.decimal(utf8[0..<4]),
              let month = Self.decimal(utf8[5..<7]),
              let day = Self.decimal(utf8[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date at the given instant in a zone `utcOffsetSeconds` east of UTC (3600 for
    /// CET), or nil when it falls outside ``supportedYears``. Optional rather than
    /// trapping because timestamps may come from clients.
    public static func from(unixMilliseconds: Int64, utcOffsetSeconds: Int = 0) -> CivilDate? {
        let (offset, offsetOverflow) = Int64(utcOffsetSeconds).multipliedReportingOverflow(by: 1000)
        let (local, sumOverflow) = unixMilliseconds.addingReportingOverflow(offset)
        guard !offsetOverflow, !sumOverflow else { return nil }
        // Floor division: an instant before 1970 belongs to the earlier day.
        var days = local / millisecondsPerDay
        if local % millisecondsPerDay < 0 { days -= 1 }
        return from(daysSinceEpoch: Int(days))
    }

    /// Today as a Swedish date under ``SwedishCivilTime``: 23:30 on a winter evening is
    /// still today, and midnight in summer starts the next day.
    public static func swedishToday(unixMilliseconds: Int64) -> CivilDate {
        // Safe because 1970-01-01 is a real date; the fallback is only for clocks outside years 1-9999.
        SwedishCivilTime.localTime(atUnixMilliseconds: unixMilliseconds)?.date ?? CivilDate(year: 1970, month: 1, day: 1)!
    }

    /// The date `days` after 1970-01-01 (negative for earlier dates), or nil outside
    /// ``supportedYears``.
    ///
    /// Howard Hinnant's `civil_from_days`
    /// (https://howardhinnant.github.io/date_algorithms.html): count in 400-year eras
    /// whose years start on 1 March, so the leap day is the last day of a year.
    public static func from(daysSinceEpoch days: Int) -> CivilDate? {
        // Bounds first so that the arithmetic below cannot overflow; these are the day
        // numbers of 0001-01-01 and 9999-12-31.
        guard (-719_162...2_932_896).contains(days) else { return nil }
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return CivilDate(year: year, month: month, day: day)
    }

    /// Days since 1970-01-01, negative before it (Hinnant's `days_from_civil`).
    public var daysSinceEpoch: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        Self.padded(year, width: 4) + "-" + Self.padded(month, width: 2) + "-" + Self.padded(day, width: 2)
    }

    public var description: String { iso }

    /// Gregorian rule: divisible by 4, except centuries not divisible by 400.
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` (1...12) of `year`.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The value of ASCII decimal digits, or nil if any byte is not a digit.
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
