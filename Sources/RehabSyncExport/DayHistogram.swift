/// Whole-day durations counted by value, so a median over a month of referrals costs a
/// few hundred buckets however many referrals there are.
public struct DayHistogram: Hashable, Sendable {
    private(set) var counts: [Int: Int] = [:]
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ days: Int) {
        counts[days, default: 0] += 1
        total += 1
    }

    /// Adds every value of another histogram.
    public mutating func absorb(_ other: DayHistogram) {
        counts.merge(other.counts, uniquingKeysWith: +)
        total += other.total
    }

    /// The median: the middle value, or the mean of the two middle values; nil when empty.
    public var median: Double? {
        guard total > 0 else { return nil }
        if total % 2 == 1 { return Double(value(atRank: total / 2 + 1)) }
        return Double(value(atRank: total / 2) + value(atRank: total / 2 + 1)) / 2
    }

    /// A percentile by the nearest-rank method (the smallest value with at least `percent`
    /// of the values at or below it); nil when empty.
    public func percentile(_ percent: Int) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, (total * percent + 99) / 100)
        return Double(value(atRank: rank))
    }

    /// The value at 1-based rank `rank` in ascending order.
    private func value(atRank rank: Int) -> Int {
        var seen = 0
        for (value, count) in counts.sorted(by: { $0.key < $1.key }) {
            seen += count
            if seen >= rank { return value }
        }
        return counts.keys.max() ?? 0
    }
}
