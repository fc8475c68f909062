import RehabSyncDomain

/// A calendar month, the unit of reporting, written `YYYY-MM`.
public struct ReportingPeriod: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses exactly `YYYY-MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
              let year = Int(parts[0]), let month = Int(parts[1])
        else { return nil }
        self.init(year: year, month: month)
    }

    /// The month a date falls in.
    public init(containing date: CivilDate) {
        year = date.year
        month = date.month
    }

    public var firstDay: CivilDate {
        // Safe because year and month were checked at construction.
        CivilDate(year: year, month: month, day: 1)!
    }

    public var lastDay: CivilDate {
        // Safe because year and month were checked at construction.
        CivilDate(year: year, month: month, day: CivilDate.daysInMonth(year: year, month: month))!
    }

    /// The month before, or nil before year 1.
    public var previous: ReportingPeriod? {
        month == 1 ? ReportingPeriod(year: year - 1, month: 12) : ReportingPeriod(year: year, month: month - 1)
    }

    /// This month and the `count` before it, oldest first.
    public func withPrevious(_ count: Int) -> [ReportingPeriod] {
        var periods = [self]
        while periods.count <= count, let earlier = periods[0].previous { periods.insert(earlier, at: 0) }
        return periods
    }

    public func contains(_ date: CivilDate) -> Bool { date.year == year && date.month == month }

    public var description: String {
        (year < 1000 ? String(repeating: "0", count: 4 - String(year).count) : "") + String(year) + (month < 10 ? "-0" : "-") + String(month)
    }

    public static func < (lhs: ReportingPeriod, rhs: ReportingPeriod) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}
