/// The identity of one write: the replica that made it and that replica's counter
/// at the time. A replica's counter only grows, so a dot is never reused.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The largest counter or clock value the core accepts: 2^53 - 1, the largest
    /// integer every JSON reader (JavaScript included) holds exactly.
    public static let maximumCounter: Int64 = 9_007_199_254_740_991

    public let replica: ReplicaID
    public let counter: Int64

    public init(replica: ReplicaID, counter: Int64) {
        self.replica = replica
        self.counter = counter
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.counter) < (rhs.replica, rhs.counter)
    }

    public var description: String { "\(replica):\(counter)" }
}
