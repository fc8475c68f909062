/// The join of two record states given as their canonical encodings, worked out on the
/// bytes: the same result, byte for byte, as decoding both, joining them
/// (``RecordState/joined(with:)``) and encoding the join, without building either state.
///
/// A stored record and an arriving state share most of their siblings, and a sibling's
/// canonical encoding is a run of bytes inside its state's encoding; so the join copies
/// each surviving sibling's run from whichever side holds it. Only the fields a
/// placement reads are decoded, from the result, and only when the join changed them:
/// otherwise the stored record's placement stands. A replica joining a pulled page, and a
/// conflict-heavy store joining concurrent edits, spent most of each join decoding
/// states only to encode them again.
public struct CanonicalJoin: Sendable {
    /// The canonical encoding of the join; empty when nothing changed (the join is then
    /// the stored state, whose bytes the caller holds).
    public let bytes: [UInt8]
    /// False when the join is the stored state itself: the arriving state added nothing.
    public let changed: Bool
    /// Whether some field of the join has more than one sibling.
    public let isInConflict: Bool
    /// The join with only the fields asked for (those a placement reads) decoded, and the
    /// whole context, when those fields differ in any sibling from the stored state's;
    /// nil when they are the stored state's, so that the join is placed as the stored
    /// state is (and nil when nothing changed).
    public let partial: RecordState?
    /// Whether the join must be placed anew: ``partial`` is there to place it by.
    public var placementFieldsChanged: Bool { partial != nil }
    /// Everything the arriving state had seen.
    public let incomingContext: VersionVector
    /// The greatest hybrid-clock reading of the arriving state's siblings.
    public let incomingNewestClock: HLCTimestamp

    /// Joins `incoming` into `stored`, both canonical encodings of valid states, decoding
    /// the fields named in `keeping` of the result when the join changed any of them. Nil
    /// when either is not exactly a
    /// canonical encoding; the caller then decodes and joins them.
    public static func join(stored: [UInt8], incoming: [UInt8], keeping: CanonicalFieldNames) -> CanonicalJoin? {
        stored.withUnsafeBufferPointer { storedBuffer in
            incoming.withUnsafeBufferPointer { incomingBuffer in
                var theirs = CanonicalStateCheck(incomingBuffer, at: 0, keeping: .none)
                theirs.collectsSiblings = true
                guard theirs.state(), theirs.index == incomingBuffer.count else { return nil }
                return join(storedBuffer, incomingBuffer, Incoming(context: theirs.context, newest: theirs.newest, siblings: theirs.metSiblings,
                                                                            contextEnd: theirs.contextEnd),
                            keeping: keeping)
            }
        }
    }

    /// ``join(stored:incoming:keeping:)`` for a state a reader has already checked: its
    /// bytes are not checked again when the reader noted where its siblings lie, only
    /// compared and copied from. A replica joins each record of a pulled page it holds
    /// this way.
    public static func join(stored: [UInt8], incoming: CanonicalState, keeping: CanonicalFieldNames) -> CanonicalJoin? {
        guard let siblings = incoming.siblings else { return join(stored: stored, incoming: incoming.bytes, keeping: keeping) }
        return stored.withUnsafeBufferPointer { storedBuffer in
            incoming.bytes.withUnsafeBufferPointer { incomingBuffer in
                join(storedBuffer, incomingBuffer, Incoming(context: incoming.context, newest: incoming.newestClock, siblings: siblings,
                                                            contextEnd: incoming.contextEnd),
                     keeping: keeping)
            }
        }
    }

    /// What the join needs of the arriving state, however it was checked.
    private struct Incoming {
        let context: VersionVector
        let newest: HLCTimestamp
        let siblings: [CanonicalStateCheck.SiblingRun]
        let contextEnd: Int
    }

    private init(bytes: [UInt8], isInConflict: Bool, partial: RecordState?, incoming: Incoming) {
        self.bytes = bytes
        changed = !bytes.isEmpty
        self.isInConflict = isInConflict
        self.partial = partial
        incomingContext = incoming.context
        incomingNewestClock = incoming.newest
    }

    private static func join(_ stored: UnsafeBufferPointer<UInt8>, _ incoming: UnsafeBufferPointer<UInt8>, _ theirs: Incoming,
                             keeping: CanonicalFieldNames) -> CanonicalJoin? {
        // Nothing of the stored state is decoded: when the join leaves its placement
        // fields as they were (nearly always), nobody needs them.
        var mine = CanonicalStateCheck(stored, at: 0, keeping: .none)
        mine.collectsSiblings = true
        guard mine.state(), mine.index == stored.count else { return nil }
        if stored.count == incoming.count, let base = incoming.baseAddress,
           CanonicalStateCheck.equal(stored, at: 0, UnsafeRawPointer(base), incoming.count) {
            return CanonicalJoin(bytes: [], isInConflict: mine.inConflict, partial: nil, incoming: theirs)
        }

        var writer = CanonicalWriter(capacity: stored.count + incoming.count)
        // When one context covers the other (a resolution, or a state that adds nothing
        // to the context), the join's context is that one, and its bytes are copied.
        switch theirs.context.compare(to: mine.context) {
        case .after, .equal:
            writer.append(UnsafeBufferPointer(rebasing: incoming[0..<theirs.contextEnd]))
        case .before:
            writer.append(UnsafeBufferPointer(rebasing: stored[0..<mine.contextEnd]))
        case .concurrent:
            writer.append(#"{"context":"#)
            mine.context.merged(with: theirs.context).write(to: &writer)
        }
        writer.append(#","fields":{"#)
        let left = mine.metSiblings
        let right = theirs.siblings
        var leftIndex = 0
        var rightIndex = 0
        var firstField = true
        var inConflict = false
        var keptFieldChanged = false
        // Both sibling lists run field by field in name order, and by dot within a field.
        while leftIndex < left.count || rightIndex < right.count {
            let order: Int
            if leftIndex == left.count {
                order = 1
            } else if rightIndex == right.count {
                order = -1
            } else {
                order = compare(stored, left[leftIndex].name, incoming, right[rightIndex].name)
            }
            let leftEnd = order <= 0 ? fieldEnd(left, from: leftIndex) : leftIndex
            let rightEnd = order >= 0 ? fieldEnd(right, from: rightIndex) : rightIndex
            let name = order <= 0 ? (stored, left[leftIndex].name) : (incoming, right[rightIndex].name)
            var wroteSibling = false
            var emitted = 0
            var emittedFromStored = 0
            func emit(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
                emitted += 1
                if wroteSibling {
                    writer.append(UInt8(ascii: ","))
                } else {
                    if !firstField { writer.append(UInt8(ascii: ",")) }
                    firstField = false
                    writer.append(UInt8(ascii: "\""))
                    writer.append(UnsafeBufferPointer(rebasing: name.0[name.1]))
                    writer.append(#"":["#)
                    wroteSibling = true
                }
                writer.append(UnsafeBufferPointer(rebasing: buffer[range]))
            }
            // The sibling rule of the join: keep a sibling the other side has not seen,
            // or holds too.
            var l = leftIndex
            var r = rightIndex
            while l < leftEnd || r < rightEnd {
                if r == rightEnd || (l < leftEnd && left[l].dot < right[r].dot) {
                    if !theirs.context.contains(left[l].dot) {
                        emit(stored, left[l].bytes)
                        emittedFromStored += 1
                    }
                    l += 1
                } else if l == leftEnd || right[r].dot < left[l].dot {
                    if !mine.context.contains(right[r].dot) { emit(incoming, right[r].bytes) }
                    r += 1
                } else {
                    // Both hold this write. Honest replicas hold it byte for byte alike; if
                    // not, the greater bytes win, as in the decoded join.
                    let a = UnsafeBufferPointer(rebasing: stored[left[l].bytes])
                    let b = UnsafeBufferPointer(rebasing: incoming[right[r].bytes])
                    if !sameBytes(a, b), a.lexicographicallyPrecedes(b) {
                        emit(incoming, right[r].bytes)
                    } else {
                        emit(stored, left[l].bytes)
                        emittedFromStored += 1
                    }
                    l += 1
                    r += 1
                }
            }
            if wroteSibling { writer.append(UInt8(ascii: "]")) }
            if emitted > 1 { inConflict = true }
            // A placement field whose siblings are not exactly the stored ones.
            if emitted != emittedFromStored || emitted != leftEnd - leftIndex,
               keeping.contains(name.0, name.1) {
                keptFieldChanged = true
            }
            leftIndex = leftEnd
            rightIndex = rightEnd
        }
        writer.append("}}")

        let unchanged = writer.withBytes { written in
            guard written.count == stored.count, let base = written.baseAddress else { return false }
            return CanonicalStateCheck.equal(stored, at: 0, UnsafeRawPointer(base), written.count)
        }
        if unchanged {
            return CanonicalJoin(bytes: [], isInConflict: mine.inConflict, partial: nil, incoming: theirs)
        }
        let bytes = writer.bytes
        guard keptFieldChanged else {
            return CanonicalJoin(bytes: bytes, isInConflict: inConflict, partial: nil, incoming: theirs)
        }
        // A placement field changed: one pass over the result decodes what the placement
        // reads.
        let partial = bytes.withUnsafeBufferPointer { buffer -> RecordState? in
            var result = CanonicalStateCheck(buffer, at: 0, keeping: keeping)
            guard result.state(), result.index == buffer.count else { return nil }
            var partial = RecordState()
            partial.context = result.context
            partial.fields = result.kept
            return partial
        }
        guard let partial else { return nil }
        return CanonicalJoin(bytes: bytes, isInConflict: inConflict, partial: partial, incoming: theirs)
    }

    /// The index just past the last sibling of the field that `siblings[start]` belongs
    /// to: a field's siblings are adjacent, and share the one range of their name.
    private static func fieldEnd(_ siblings: [CanonicalStateCheck.SiblingRun], from start: Int) -> Int {
        var end = start + 1
        while end < siblings.count, siblings[end].name == siblings[start].name { end += 1 }
        return end
    }

    /// Whether two runs hold the same bytes, compared eight at a time: alike is the rule
    /// for a write both sides hold, and the byte-wise order that settles the exception
    /// cost most of a join when asked first.
    private static func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let start = b.baseAddress else { return true }
        return CanonicalStateCheck.equal(a, at: 0, UnsafeRawPointer(start), b.count)
    }

    /// Byte order of two field names in two buffers: negative, zero or positive.
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ aRange: Range<Int>,
                                _ b: UnsafeBufferPointer<UInt8>, _ bRange: Range<Int>) -> Int {
        // A plain loop: field names are short, and the generic algorithms cost more than
        // the comparison itself.
        var i = aRange.lowerBound
        var j = bRange.lowerBound
        while i < aRange.upperBound, j < bRange.upperBound {
            if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
            i += 1
            j += 1
        }
        return aRange.count == bRange.count ? 0 : (aRange.count < bRange.count ? -1 : 1)
    }
}
