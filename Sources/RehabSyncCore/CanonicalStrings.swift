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
    /// A string and where its bytes were met: the reader that holds this table reads one
    /// buffer (``JSONParser``'s bytes never change), so a string met again is compared
    /// with the bytes it was built from, where they lie, without reading the String.
    private struct Slot {
        var string = ""
        var offset = 0
        var count = 0
    }

    /// Empty until a reader's second state (``remember(_:)``): a check of one state builds
    /// its strings directly, since a table would cost more than the few repeats it saves.
    private var slots: [Slot] = []
    /// The bytes the slots point into.
    private var origin: UnsafeRawPointer?
    private var originCount = 0

    /// Two to this many slots. A batch has a few dozen distinct recurring strings; the
    /// rest (a title, a patient) are met once and only pass through their slot.
    private static let slotBits = 8

    /// Called before each state a reader checks in `bytes` (its buffer, the same for every
    /// state): from the second state on, strings are remembered. The first is read without
    /// a table, so that a reader of a single state (a push of one record) pays nothing for
    /// it. Should other bytes come, the slots, which point into the old ones, are dropped.
    mutating func remember(_ bytes: UnsafeBufferPointer<UInt8>) {
        let base = bytes.baseAddress.map(UnsafeRawPointer.init)
        guard base == origin, bytes.count == originCount else {
            slots = []
            origin = base
            originCount = bytes.count
            return
        }
        if slots.isEmpty { slots = Array(repeating: Slot(), count: 1 << Self.slotBits) }
    }

    /// The string whose UTF-8 is `range` of `bytes`, which the caller has checked to be
    /// well-formed UTF-8; the one built before when these bytes were met already.
    // Inlined into the check's few callers: a call cost a fifth of a hit.
    @inline(__always)
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let (remembered, slot) = find(bytes, range)
        if let remembered { return remembered }
        let made = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        keep(made, at: slot, range)
        return made
    }

    /// The string remembered for the bytes at `range`, if any (then those bytes were found
    /// well formed when it was built), and the slot where a string built from them would
    /// be kept (-1 when nothing is remembered).
    @inline(__always)
    func find(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (string: String?, slot: Int) {
        guard !slots.isEmpty, let base = bytes.baseAddress else { return (nil, -1) }
        let slot = Self.slot(bytes, range)
        // An empty slot holds an empty string at offset 0, which is right for empty bytes.
        if slots[slot].count == range.count,
           CanonicalStateCheck.equal(bytes, at: range.lowerBound, UnsafeRawPointer(base + slots[slot].offset), range.count) {
            return (slots[slot].string, slot)
        }
        return (nil, slot)
    }

    /// Remembers `string`, built from the well-formed UTF-8 at `range`, in `slot` from
    /// ``find(_:_:)``.
    @inline(__always)
    mutating func keep(_ string: String, at slot: Int, _ range: Range<Int>) {
        guard slot >= 0 else { return }
        slots[slot] = Slot(string: string, offset: range.lowerBound, count: range.count)
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
