/// One candidate value of a field: the value written, the write's dot, and what the
/// write carried for audit and display (author, hybrid-logical time, device wall time).
/// A field normally has exactly one sibling; two or more mean a conflict.
public struct FieldSibling: Hashable, Sendable {
    public let value: JSONValue
    public let dot: Dot
    public let hlc: HLCTimestamp
    /// HSA-id of the clinician who made the write.
    public let author: String
    /// The device's wall clock at the write, in milliseconds since the Unix epoch.
    public let wallMilliseconds: Int64

    public init(value: JSONValue, dot: Dot, hlc: HLCTimestamp, author: String, wallMilliseconds: Int64) {
        self.value = value
        self.dot = dot
        self.hlc = hlc
        self.author = author
        self.wallMilliseconds = wallMilliseconds
    }

    /// The order that picks a conflict's provisional value: the greatest `(hlc, replica)`
    /// wins, the counter breaking the (impossible in practice) remaining tie.
    public static func provisionalOrder(_ lhs: FieldSibling, _ rhs: FieldSibling) -> Bool {
        (lhs.hlc, lhs.dot.replica, lhs.dot.counter) < (rhs.hlc, rhs.dot.replica, rhs.dot.counter)
    }
}

extension FieldSibling {
    /// Equal means equal canonical bytes: the value by ``JSONValue/==(_:_:)`` and the
    /// author by UTF-8 bytes, never by Swift's canonical equivalence of strings, so that
    /// the join and the server's altered-write check tell apart what encodes differently.
    public static func == (lhs: FieldSibling, rhs: FieldSibling) -> Bool {
        lhs.dot == rhs.dot && lhs.hlc == rhs.hlc && lhs.wallMilliseconds == rhs.wallMilliseconds
            && lhs.author.hasSameBytes(as: rhs.author) && lhs.value == rhs.value
    }
}
