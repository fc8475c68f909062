extension JSONValue {
    /// Equal means equal canonical bytes.
    ///
    /// Swift's own `==` on `String` is canonical equivalence (an `é` written as one scalar
    /// equals `e` followed by a combining accent) and on `Double` it makes `0.0` equal
    /// `-0.0`. Both pairs encode to different bytes, so a join or an altered-write check
    /// that trusted Swift's `==` would keep whichever side it happened to hold, and two
    /// replicas could agree on a value while their dumps and digests differ. This compares
    /// strings and member names by UTF-8 bytes and numbers by bit pattern instead, which is
    /// exactly "same canonical encoding" without encoding anything.
    ///
    /// `hash(into:)` stays synthesized: it hashes canonically equivalent values alike, so
    /// values equal here (a finer relation) still hash alike.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        // The canonical writer prints every value the parser accepts by its bits, so equal
        // bits is equal bytes (JSON has no NaN, whose payloads would differ in bits only).
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): a.hasSameBytes(as: b)
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
        case (.object(let a), .object(let b)): membersEqual(a, b)
        default: false
        }
    }

    /// Members compared in canonical order, names by bytes: a dictionary lookup would
    /// find a canonically equivalent name with other bytes.
    private static func membersEqual(_ a: [String: JSONValue], _ b: [String: JSONValue]) -> Bool {
        guard a.count == b.count else { return false }
        let left = a.sorted { CanonicalJSON.precedes($0.key, $1.key) }
        let right = b.sorted { CanonicalJSON.precedes($0.key, $1.key) }
        return zip(left, right).allSatisfy { $0.key.hasSameBytes(as: $1.key) && $0.value == $1.value }
    }
}
