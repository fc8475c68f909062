extension String {
    /// Whether both strings are the same UTF-8 bytes: equality of canonical encodings,
    /// never Swift's canonical equivalence. Compared eight bytes at a time in contiguous
    /// storage: the generic `utf8.elementsEqual` costs about a thousand instructions for
    /// a short string, and joins and checks ask this for every value and author.
    public func hasSameBytes(as other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var left = self
        var right = other
        return left.withUTF8 { leftBytes in
            right.withUTF8 { rightBytes in
                guard let start = rightBytes.baseAddress else { return leftBytes.isEmpty }
                return CanonicalStateCheck.equal(leftBytes, at: 0, UnsafeRawPointer(start), rightBytes.count)
            }
        }
    }
}
