/// A hybrid-logical-clock reading: wall time in milliseconds since the Unix epoch,
/// and a logical counter that orders events within (or behind) the same millisecond.
/// Used to pick the provisional value of a conflict and for display; never for causality.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let milliseconds: Int64
    public let logical: Int64

    public init(milliseconds: Int64, logical: Int64) {
        self.milliseconds = milliseconds
        self.logical = logical
    }

    public static let zero = HLCTimestamp(milliseconds: 0, logical: 0)

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        (lhs.milliseconds, lhs.logical) < (rhs.milliseconds, rhs.logical)
    }

    public var description: String { "\(milliseconds).\(logical)" }
}
