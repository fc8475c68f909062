/// Questions about the eight bytes of a `UInt64` at once (SWAR), for the loops that scan
/// strings: the canonical state check and the writer's unescaped copy. Each mask answers
/// "is there such a byte" exactly right, and its lowest marked byte (the first in memory,
/// read little-endian) is the first such byte; marks above that may be wrong (a borrow
/// can mark a byte after a true match), so no caller looks past the lowest.
enum EightBytes {
    /// 0x01 in every byte: times a byte, that byte repeated eight times.
    static var lowBits: UInt64 { 0x0101_0101_0101_0101 }
    /// The high bit of every byte: set in `word & highBits` exactly where a byte is not ASCII.
    static var highBits: UInt64 { 0x8080_8080_8080_8080 }

    /// Nonzero exactly when some byte of `word` is `byte`: the classic zero-byte test on
    /// `word` XOR the byte repeated.
    @inline(__always)
    static func bytes(of word: UInt64, equalTo byte: UInt8) -> UInt64 {
        let zeroWhereEqual = word ^ (lowBits &* UInt64(byte))
        return (zeroWhereEqual &- lowBits) & ~zeroWhereEqual & highBits
    }

    /// Nonzero exactly when some byte of `word` is below `limit` (at most 128).
    @inline(__always)
    static func bytes(of word: UInt64, below limit: UInt8) -> UInt64 {
        (word &- lowBits &* UInt64(limit)) & ~word & highBits
    }

    /// Whether some byte of `word` must be escaped in a JSON string (a quote, a backslash,
    /// a control character); a quote also ends one. The three masks are combined before
    /// the one branch, so a scan takes one branch per eight bytes.
    @inline(__always)
    static func needsJSONEscape(_ word: UInt64) -> Bool {
        jsonEscapeBytes(word) != 0
    }

    /// Nonzero exactly when ``needsJSONEscape(_:)``; its lowest marked byte is the first
    /// byte of `word` that must be escaped.
    @inline(__always)
    static func jsonEscapeBytes(_ word: UInt64) -> UInt64 {
        bytes(of: word, equalTo: UInt8(ascii: "\"")) | bytes(of: word, equalTo: UInt8(ascii: "\\"))
            | bytes(of: word, below: 0x20)
    }
}
