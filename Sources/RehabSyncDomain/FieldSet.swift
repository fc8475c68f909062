/// A set of one collection's fields, by their positions in ``CollectionSchema/names``:
/// the fields a write touches, or those a rule involves. One machine word, so that asking
/// whether a write touches a field costs no string comparison; every record of a push asks
/// this a dozen times.
struct FieldSet: Equatable, Sendable, Sequence {
    private var bits: UInt64

    /// The most fields a schema may have: one bit each.
    static let capacity = UInt64.bitWidth

    init() {
        bits = 0
    }

    var isEmpty: Bool { bits == 0 }

    /// The lowest position, which is the first field in name order.
    var first: Int? { bits == 0 ? nil : bits.trailingZeroBitCount }

    func contains(_ position: Int) -> Bool {
        bits & (1 << UInt64(position)) != 0
    }

    mutating func insert(_ position: Int) {
        bits |= 1 << UInt64(position)
    }

    func isDisjoint(with other: FieldSet) -> Bool {
        bits & other.bits == 0
    }

    func subtracting(_ other: FieldSet) -> FieldSet {
        var result = self
        result.bits &= ~other.bits
        return result
    }

    /// The positions in increasing order, which is the fields' name order.
    func makeIterator() -> Iterator {
        Iterator(remaining: bits)
    }

    struct Iterator: IteratorProtocol {
        var remaining: UInt64

        mutating func next() -> Int? {
            guard remaining != 0 else { return nil }
            let position = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            return position
        }
    }
}
