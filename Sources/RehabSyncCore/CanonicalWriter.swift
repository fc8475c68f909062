/// A growable byte buffer for canonical encoding. Encoding is on the hot path of every
/// push, pull and persist, and `Array.append` pays a uniqueness and capacity check per
/// call; this writer owns its memory outright, so appends are plain stores.
public struct CanonicalWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

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

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends one byte.
    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    /// Appends a run of bytes.
    @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Appends the bytes of a literal.
    @inline(__always)
    public mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append($0) }
    }

    /// Appends a decimal integer. Digits are produced two at a time, right to left, into a
    /// scratch buffer and copied once: a state holds about eight integers per sibling.
    public mutating func appendInteger(_ value: Int64) {
        reserve(20)
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var magnitude = value.magnitude
        // 20 digits hold any UInt64; the tuple lives on the stack.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let written = withUnsafeMutableBytes(of: &scratch) { buffer in
            var position = 24
            Self.digitPairs.withUTF8Buffer { pairs in
                while magnitude >= 100 {
                    let pair = Int(magnitude % 100) * 2
                    magnitude /= 100
                    position -= 2
                    buffer[position] = pairs[pair]
                    buffer[position + 1] = pairs[pair + 1]
                }
                if magnitude >= 10 {
                    let pair = Int(magnitude) * 2
                    position -= 2
                    buffer[position] = pairs[pair]
                    buffer[position + 1] = pairs[pair + 1]
                } else {
                    position -= 1
                    buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
                }
            }
            // Safe because the buffer is the 24-byte scratch tuple, never empty.
            (base + count).update(from: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + position, count: 24 - position)
            return 24 - position
        }
        count += written
    }

    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Appends a quoted JSON string, escaping only `"`, `\` and control characters; runs
    /// that need no escape are copied whole.
    public mutating func appendString(_ value: String) {
        var value = value
        value.withUTF8 { appendString(utf8: $0) }
    }

    /// ``appendString(_:)`` for text given as UTF-8 bytes (read from SQLite, say); the
    /// caller guarantees they are valid UTF-8.
    public mutating func appendString(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            append(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            appendEscape(of: byte)
            runStart = index + 1
        }
        append(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        append(UInt8(ascii: "\""))
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

    /// Appends a replica id in its canonical lowercase 8-4-4-4-12 form.
    public mutating func appendReplicaID(_ id: ReplicaID) {
        reserve(36)
        let digits: StaticString = "0123456789abcdef"
        let text = base + count
        digits.withUTF8Buffer { hex in
            var high = id.high
            var low = id.low
            for position in stride(from: 35, through: 19, by: -1) where position != 23 {
                text[position] = hex[Int(low & 0xF)]
                low >>= 4
            }
            for position in stride(from: 17, through: 0, by: -1) where position != 8 && position != 13 {
                text[position] = hex[Int(high & 0xF)]
                high >>= 4
            }
        }
        text[8] = UInt8(ascii: "-")
        text[13] = UInt8(ascii: "-")
        text[18] = UInt8(ascii: "-")
        text[23] = UInt8(ascii: "-")
        count += 36
    }
}
