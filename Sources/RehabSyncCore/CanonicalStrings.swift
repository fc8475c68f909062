/// Strings that ``CanonicalStateCheck`` builds from bytes it has checked, remembered by a
/// reader of many states (a push batch, a pull page). A batch's field names, its author
/// and most of its values recur record after record: the same bytes met again give the
/// String built before, without validating and copying them again, and without another
/// heap object to free when the batch is done.
///
/// One slot per hash of a string's length and first and last eight bytes, holding the
/// last string met there. A string is taken from its slot only when its bytes equal the
/// stored string's, compared in full, so a collision costs a miss and never a wrong
/// string; the new string then takes the slot.
struct CanonicalStrings {
    /// Empty until ``remember()``: a check of one state builds its strings directly, since
    /// a table would cost more than the few repeats it could save.
    private var slots: [String] = []

    /// Two to this many slots. A batch has a few dozen distinct recurring strings; the
    /// rest (a title, a patient) are met once and only pass through their slot.
    private static let slotBits = 8

    /// Whether strings are remembered.
    var isRemembering: Bool { !slots.isEmpty }

    /// Starts remembering strings, for a reader of many states.
    mutating func remember() {
        if slots.isEmpty { slots = Array(repeating: "", count: 1 << Self.slotBits) }
    }

    /// The string whose UTF-8 is `range` of `bytes`, which the caller has checked to be
    /// well-formed UTF-8; the one built before when these bytes were met already.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        guard !slots.isEmpty else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        let slot = Self.slot(bytes, range)
        let stored = slots[slot]
        if stored.utf8.count == range.count, stored.utf8.withContiguousStorageIfAvailable({ text in
            guard let start = text.baseAddress else { return range.isEmpty }
            return CanonicalStateCheck.equal(bytes, at: range.lowerBound, UnsafeRawPointer(start), range.count)
        }) == true {
            return stored
        }
        let made = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        slots[slot] = made
        return made
    }

    /// The slot of the bytes at `range`: a hash of their length and their first and last
    /// eight bytes (all of them when fewer), read as little-endian words.
    @inline(__always)
    private static func slot(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var key = UInt64(truncatingIfNeeded: range.count)
        if let base = bytes.baseAddress.map(UnsafeRawPointer.init) {
            if range.count >= 8 {
                key = (key ^ base.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt64.self)) &* multiplier
                key ^= base.loadUnaligned(fromByteOffset: range.upperBound - 8, as: UInt64.self)
            } else if range.lowerBound + 8 <= bytes.count {
                // Fewer than eight bytes, but a whole word can be read: the rest masked off.
                let word = base.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt64.self)
                key ^= (word & ((1 &<< (UInt64(range.count) &* 8)) &- 1)) &<< 8
            } else {
                var word: UInt64 = 0
                for position in range { word |= UInt64(bytes[position]) &<< (UInt64(position - range.lowerBound) &* 8) }
                key ^= word &<< 8
            }
        }
        return Int(truncatingIfNeeded: (key &* multiplier) >> UInt64(64 - slotBits))
    }
}
