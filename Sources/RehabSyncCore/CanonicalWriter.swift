/// A growable byte buffer for canonical encoding. Encoding is on the hot path of every
/// push, pull and persist, and `Array.append` pays a uniqueness and capacity check per
/// call; this writer owns its memory outright, so appends are plain stores.
public struct CanonicalWriter: ~Copyable {
    // Internal rather than private so that the small appends below inline into other
    // modules (the server writes its response bodies with them); only this file uses them.
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    /// A writer with room for `capacity` bytes before it first grows.
    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    /// The bytes written so far, copied out.
    public var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Lends the bytes written so far to `body` without copying them.
    public func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Forgets what was written, keeping the memory for reuse.
    public mutating func removeAll() {
        count = 0
    }

    @inlinable @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(toHold: count + extra) }
    }

    /// Kept out of line: appends are inlined everywhere and rarely grow.
    @usableFromInline @inline(never)
    mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends one byte.
    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    /// Appends a run of bytes.
    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Appends the bytes of a literal.
    @inlinable @inline(__always)
    public mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append($0) }
    }

    /// Appends a decimal integer. Eight digits at a time: a state holds about eight
    /// integers per sibling, clocks of 13 digits among them.
    public mutating func appendInteger(_ value: Int64) {
        // The sign, then at most three words of eight digits.
        reserve(25)
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        let magnitude = value.magnitude
        if magnitude < 10 {
            base[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
            count += 1
            return
        }
        let chunk: UInt64 = 100_000_000
        guard magnitude >= chunk else { return appendLeading(UInt32(truncatingIfNeeded: magnitude)) }
        let upper = magnitude / chunk
        if upper >= chunk {
            appendLeading(UInt32(truncatingIfNeeded: upper / chunk))
            appendEightDigits(Self.eightDigits(UInt32(truncatingIfNeeded: upper % chunk)))
        } else {
            appendLeading(UInt32(truncatingIfNeeded: upper))
        }
        appendEightDigits(Self.eightDigits(UInt32(truncatingIfNeeded: magnitude % chunk)))
    }

    /// The digits of `value` (1 to 99,999,999) without leading zeros; room is reserved.
    @inline(__always)
    private mutating func appendLeading(_ value: UInt32) {
        let digits = Self.eightDigits(value)
        // The first digit is in the low byte, so leading zeros are the low zero bytes.
        let zeros = digits.trailingZeroBitCount / 8
        appendEightDigits(digits >> (zeros * 8))
        count -= zeros
    }

    /// Stores eight digit values (the first in the low byte) as ASCII; room is reserved.
    @inline(__always)
    private mutating func appendEightDigits(_ digits: UInt64) {
        UnsafeMutableRawPointer(base + count).storeBytes(of: (digits | 0x3030_3030_3030_3030).littleEndian, as: UInt64.self)
        count += 8
    }

    /// The eight decimal digits of `value` (below 100,000,000), one per byte, the most
    /// significant in the low byte. The number is split in halves of four digits in
    /// 32-bit lanes, each half in two-digit quarters in 16-bit lanes, then in single
    /// digits in bytes; each step divides every lane at once by a multiplication and shift
    /// that is exact for the lane's range (y / 100 = y * 10486 >> 20 for y < 10,000;
    /// z / 10 = z * 103 >> 10 for z < 100).
    @inline(__always)
    static func eightDigits(_ value: UInt32) -> UInt64 {
        let halves = UInt64(value / 10_000) | UInt64(value % 10_000) << 32
        let hundreds = (halves &* 10_486) >> 20 & 0x0000_007F_0000_007F
        let quarters = hundreds | (halves &- hundreds &* 100) << 16
        let tens = (quarters &* 103) >> 10 & 0x000F_000F_000F_000F
        return tens | (quarters &- tens &* 10) << 8
    }

    /// Appends a quoted JSON string, escaping only `"`, `\` and control characters; runs
    /// that need no escape are copied whole.
    public mutating func appendString(_ value: String) {
        // Not `withUTF8`, which is mutating: on a copy of `value` it costs a retain and a
        // release per string. Every native String is contiguous; the fallback is for others.
        let written: Void? = value.utf8.withContiguousStorageIfAvailable { appendString(utf8: $0) }
        if written == nil {
            var value = value
            value.withUTF8 { appendString(utf8: $0) }
        }
    }

    /// ``appendString(_:)`` for text given as UTF-8 bytes (read from SQLite, say); the
    /// caller guarantees they are valid UTF-8.
    public mutating func appendString(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let length = bytes.count
        reserve(length + 2)
        let target = base + count
        target[0] = UInt8(ascii: "\"")
        // Almost every string needs no escape: it is copied as it is checked, into the
        // room just reserved, and counted only once the whole of it has passed.
        if let source = bytes.baseAddress, !Self.copyUnescaped(from: source, count: length, to: target + 1) {
            count += 1
            appendEscaping(bytes)
            append(UInt8(ascii: "\""))
            return
        }
        target[length + 1] = UInt8(ascii: "\"")
        count += length + 2
    }

    /// Copies `length` bytes from `source` to `target` eight at a time, unless one of them
    /// needs an escape: then returns false, having copied some of them. A length of eight
    /// or more ends with the last eight bytes, overlapping what was copied; four to seven
    /// bytes are two overlapping halves.
    @inline(__always)
    private static func copyUnescaped(from source: UnsafePointer<UInt8>, count length: Int,
                                      to target: UnsafeMutablePointer<UInt8>) -> Bool {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        if length >= 8 {
            var offset = 0
            while offset + 8 < length {
                let word = from.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                if EightBytes.needsJSONEscape(word) { return false }
                to.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            let last = from.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            if EightBytes.needsJSONEscape(last) { return false }
            to.storeBytes(of: last, toByteOffset: length - 8, as: UInt64.self)
            return true
        }
        if length >= 4 {
            let first = from.loadUnaligned(as: UInt32.self)
            let last = from.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
            if EightBytes.needsJSONEscape(UInt64(first) | UInt64(last) << 32) { return false }
            to.storeBytes(of: first, as: UInt32.self)
            to.storeBytes(of: last, toByteOffset: length - 4, as: UInt32.self)
            return true
        }
        for offset in 0..<length {
            let byte = source[offset]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            target[offset] = byte
        }
        return true
    }

    /// The content of a string that needs an escape, byte by byte: runs between escapes
    /// are copied whole.
    private mutating func appendEscaping(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            append(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            appendEscape(of: byte)
            runStart = index + 1
        }
        append(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    }

    private mutating func appendEscape(of byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append(#"\""#)
        case UInt8(ascii: "\\"): append(#"\\"#)
        case 0x0A: append(#"\n"#)
        case 0x0D: append(#"\r"#)
        case 0x09: append(#"\t"#)
        case 0x08: append(#"\b"#)
        case 0x0C: append(#"\f"#)
        default:
            let hex: StaticString = "0123456789abcdef"
            append(#"\u00"#)
            hex.withUTF8Buffer { digits in
                append(digits[Int(byte >> 4)])
                append(digits[Int(byte & 0xF)])
            }
        }
    }

    /// Appends a replica id in its canonical lowercase 8-4-4-4-12 form. The groups are
    /// written as whole words: every sibling of every state encoded carries one.
    public mutating func appendReplicaID(_ id: ReplicaID) {
        reserve(36)
        let text = UnsafeMutableRawPointer(base + count)
        // `.bigEndian` puts the most significant digit first in memory, whatever the host.
        let highDigits = Self.hexDigits(UInt32(truncatingIfNeeded: id.high))
        let lowDigits = Self.hexDigits(UInt32(truncatingIfNeeded: id.low >> 32))
        text.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: id.high >> 32)).bigEndian, as: UInt64.self)
        text.storeBytes(of: UInt32(truncatingIfNeeded: highDigits >> 32).bigEndian, toByteOffset: 9, as: UInt32.self)
        text.storeBytes(of: UInt32(truncatingIfNeeded: highDigits).bigEndian, toByteOffset: 14, as: UInt32.self)
        text.storeBytes(of: UInt32(truncatingIfNeeded: lowDigits >> 32).bigEndian, toByteOffset: 19, as: UInt32.self)
        text.storeBytes(of: UInt32(truncatingIfNeeded: lowDigits).bigEndian, toByteOffset: 24, as: UInt32.self)
        text.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: id.low)).bigEndian, toByteOffset: 28, as: UInt64.self)
        text.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 8, as: UInt8.self)
        text.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 13, as: UInt8.self)
        text.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 18, as: UInt8.self)
        text.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 23, as: UInt8.self)
        count += 36
    }

    /// The eight lowercase hex digits of `value` as ASCII, the digit of nibble k in byte k
    /// (least significant first). Each step moves half of every lane's bits up into a lane
    /// of its own; then each nibble of ten or more gets 39 more, from '0' + 10 to 'a'.
    @inline(__always)
    static func hexDigits(_ value: UInt32) -> UInt64 {
        var nibbles = UInt64(value)
        nibbles = (nibbles | nibbles << 16) & 0x0000_FFFF_0000_FFFF
        nibbles = (nibbles | nibbles << 8) & 0x00FF_00FF_00FF_00FF
        nibbles = (nibbles | nibbles << 4) & 0x0F0F_0F0F_0F0F_0F0F
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & EightBytes.lowBits
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 39
    }
}
