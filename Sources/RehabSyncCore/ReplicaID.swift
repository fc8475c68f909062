/// The stable identity of one replica (a device or the server): a UUID given at
/// enrolment, always written in lowercase 8-4-4-4-12 form so that it sorts and
/// encodes the same way everywhere.
///
/// Kept as two integers rather than a string because replica ids are compared and
/// hashed on every join; ordering by `(high, low)` equals ordering by the text form.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the canonical lowercase form; anything else (uppercase, braces, missing
    /// dashes) is refused so that one replica never has two spellings.
    public init?(_ text: some StringProtocol) {
        var string = String(text)
        guard let parsed = string.withUTF8({ Self.parse($0) }) else { return nil }
        self = parsed
    }

    /// Parses the 36 bytes of the canonical form; one pass over contiguous memory, since
    /// every sibling of every decoded state carries a replica id.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ReplicaID? {
        guard bytes.count == 36, bytes[8] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: "-"),
            bytes[18] == UInt8(ascii: "-"), bytes[23] == UInt8(ascii: "-")
        else { return nil }
        // The groups hold 8, 4, 4, 4 and 12 digits: the first 16 make `high`, the rest
        // `low`. A byte that is no lowercase hex digit sets bit 8 of `invalid`.
        var high: UInt64 = 0
        var low: UInt64 = 0
        var invalid: UInt64 = 0
        for position in 0..<8 { high = high << 4 | nibble(bytes[position], &invalid) }
        for position in 9..<13 { high = high << 4 | nibble(bytes[position], &invalid) }
        for position in 14..<18 { high = high << 4 | nibble(bytes[position], &invalid) }
        for position in 19..<23 { low = low << 4 | nibble(bytes[position], &invalid) }
        for position in 24..<36 { low = low << 4 | nibble(bytes[position], &invalid) }
        return invalid == 0 ? ReplicaID(high: high, low: low) : nil
    }

    /// The value of a lowercase hex digit; for any other byte 0, with `invalid` set.
    @inline(__always)
    private static func nibble(_ byte: UInt8, _ invalid: inout UInt64) -> UInt64 {
        let digit = byte &- UInt8(ascii: "0")
        if digit < 10 { return UInt64(digit) }
        let letter = byte &- UInt8(ascii: "a")
        if letter < 6 { return UInt64(letter) &+ 10 }
        invalid = 0x100
        return 0
    }

    /// A new random (version 4) replica id.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> ReplicaID {
        let high = (generator.next() & ~0xF000) | 0x4000
        let low = (generator.next() & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        return ReplicaID(high: high, low: low)
    }

    /// A new random replica id from the system's secure generator.
    public static func random() -> ReplicaID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    public var description: String {
        var writer = CanonicalWriter(capacity: 36)
        writer.appendReplicaID(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
