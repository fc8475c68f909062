/// A record state that arrived as exactly its canonical encoding, checked by one pass over
/// its bytes instead of being decoded: what a replica needs to store a record it does not
/// hold yet is the bytes as they are, whether a field is in conflict, its newest clock,
/// its context, and the few fields its placement reads.
///
/// Everything ``CanonicalStateCheck`` accepts, the full decoder accepts too, and encoding
/// the decoded state gives back these very bytes; a property test holds it to that. A
/// state in any other form (white space, escapes, fractions, other member order) is not
/// accepted here and is decoded in full as before.
public struct CanonicalState: Sendable {
    /// The canonical encoding, as received.
    public let bytes: [UInt8]
    /// Everything the state has seen.
    public let context: VersionVector
    /// Whether some field has more than one sibling.
    public let isInConflict: Bool
    /// The greatest hybrid-clock reading of any sibling.
    public let newestClock: HLCTimestamp
    /// The state with only the fields asked for when it was checked (those its placement
    /// reads), decoded; its context is the whole context.
    public let partial: RecordState
    /// Where each sibling lies in `bytes`, found by the check when asked for: a join into a
    /// stored record (``CanonicalJoin``) takes them from here instead of checking the bytes
    /// again. Nil when not asked for (a device that holds nothing yet joins nothing).
    let siblings: [CanonicalStateCheck.SiblingRun]?
    /// Where the context ends in `bytes` (``CanonicalStateCheck/contextEnd``).
    let contextEnd: Int

    /// The whole state, decoded; for a record that must be joined with one stored.
    public func decoded() throws(CoreError) -> RecordState {
        try RecordState(decoding: bytes)
    }
}

extension JSONParser {
    /// Reads a record state at the reader's position if its bytes are exactly a canonical
    /// encoding of a valid state, decoding only the fields named in `keeping`; nil,
    /// consuming nothing, otherwise (then ``RecordState/init(reading:path:)`` reads it and
    /// names any problem).
    public mutating func readCanonicalState(keeping: Set<String>) -> CanonicalState? {
        readCanonicalState(keeping: CanonicalFieldNames(keeping))
    }

    /// ``readCanonicalState(keeping:)`` with the names already turned into bytes, for a
    /// reader of many states.
    ///
    /// - Parameter collectingSiblingRuns: Also note where each sibling lies, so that a join
    ///   of the state into a stored one need not check its bytes again. Worth it where
    ///   received states mostly join records already held; an allocation per state where
    ///   they are mostly new.
    public mutating func readCanonicalState(keeping: CanonicalFieldNames, collectingSiblingRuns: Bool = false) -> CanonicalState? {
        skipWhitespace()
        let start = index
        // Taken out for the pass and put back after it, so that it stays uniquely held.
        var strings = CanonicalStrings()
        swap(&strings, &canonicalStrings)
        defer { swap(&strings, &canonicalStrings) }
        let found = bytes.withUnsafeBufferPointer { buffer -> (Int, VersionVector, Bool, HLCTimestamp, [RecordState.Field],
                                                               [CanonicalStateCheck.SiblingRun]?, Int)? in
            strings.remember(buffer)
            var check = CanonicalStateCheck(buffer, at: start, keeping: keeping)
            check.collectsSiblings = collectingSiblingRuns
            check.runOrigin = start
            swap(&check.strings, &strings)
            defer { swap(&check.strings, &strings) }
            guard check.state() else { return nil }
            return (check.index, check.context, check.inConflict, check.newest, check.kept,
                    collectingSiblingRuns ? check.metSiblings : nil, check.contextEnd - start)
        }
        guard let (end, context, inConflict, newest, kept, siblings, contextEnd) = found else { return nil }
        var partial = RecordState()
        partial.context = context
        partial.fields = kept
        index = end
        return CanonicalState(bytes: Array(bytes[start..<end]), context: context, isInConflict: inConflict,
                              newestClock: newest, partial: partial, siblings: siblings, contextEnd: contextEnd)
    }
}

extension JSONParser {
    /// Reads a record state as ``RecordState/init(reading:path:)`` does, and also returns
    /// its bytes as received when they are exactly its canonical encoding (nil otherwise).
    /// A server stores a new record's state as it arrived instead of encoding it again:
    /// whatever ``CanonicalStateCheck`` accepts, the full decoder reads as the same state,
    /// and encoding that state gives back these very bytes.
    ///
    /// Canonical bytes are decoded by the check's own pass, which then keeps every field;
    /// anything else is read by the full decoder, which names any problem.
    public mutating func readState(keepingCanonicalBytes path: @autoclosure () -> String) throws(CoreError)
        -> (state: RecordState, canonicalBytes: [UInt8]?) {
        skipWhitespace()
        let start = index
        // Taken out for the pass and put back after it, so that it stays uniquely held.
        var strings = CanonicalStrings()
        swap(&strings, &canonicalStrings)
        let whole = bytes.withUnsafeBufferPointer { buffer in
            strings.remember(buffer)
            return CanonicalStateCheck.wholeState(buffer, at: start, strings: &strings)
        }
        swap(&strings, &canonicalStrings)
        guard let (state, end) = whole else {
            return (try RecordState(reading: &self, path: path()), nil)
        }
        index = end
        return (state, Array(bytes[start..<end]))
    }
}
