import RehabSyncCore
import Testing

/// The writer's word-at-a-time paths (strings copied eight bytes at a time, integers and
/// replica ids written as whole words) against plain byte-by-byte references, on inputs
/// of every length up to 40 at every alignment of source and destination.
struct CanonicalWriterTests {
    /// Bytes on either side of the ones that need an escape, those that do, and the lead
    /// and continuation bytes of longer UTF-8 sequences.
    static let specialBytes: [UInt8] = [
        0x00, 0x01, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA0, 0xC3, 0xDC,
        0xE2, 0xF0, 0xFF,
    ]
    /// Text as a clinic writes it: ASCII, Swedish letters, a symbol and an emoji (two to
    /// four bytes each), a quote, a backslash and control characters.
    static let scalars: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "-", "_", "~", "\u{7F}", "å", "Ä", "ö", "é", "€", "😀", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}",
        "\u{00}", "\u{01}", "\u{1B}", "\u{1F}",
    ]

    /// The canonical string, written one byte at a time: the specification the fast path
    /// must match.
    static func reference(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// Writes `bytes` with `appendString(utf8:)`, read from `sourceOffset` bytes into a
    /// buffer and written after `prefix` bytes already in a writer that must grow.
    static func written(_ bytes: [UInt8], sourceOffset: Int, prefix: Int) -> [UInt8] {
        var writer = CanonicalWriter(capacity: 16)
        for _ in 0..<prefix { writer.append(UInt8(ascii: "x")) }
        let padded = [UInt8](repeating: UInt8(ascii: "!"), count: sourceOffset) + bytes + [UInt8(ascii: "!")]
        padded.withUnsafeBufferPointer { buffer in
            writer.appendString(utf8: UnsafeBufferPointer(rebasing: buffer[sourceOffset..<(sourceOffset + bytes.count)]))
        }
        return Array(writer.bytes.dropFirst(prefix))
    }

    @Test("Every string of up to 40 bytes is written exactly as byte by byte, at every alignment")
    func stringsMatchTheByteByByteReference() {
        var generator = SplitMix64(seed: 0x5EED_0001)
        var cases = 0
        var escaped = 0
        var nonASCII = 0
        for length in 0...40 {
            // One special byte at each position of a plain run, then random mixtures.
            var inputs: [[UInt8]] = []
            for position in 0..<length {
                for special in Self.specialBytes {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = special
                    inputs.append(bytes)
                }
            }
            inputs.append([UInt8](repeating: UInt8(ascii: "a"), count: length))
            for _ in 0..<40 {
                inputs.append((0..<length).map { _ in
                    generator.next() % 4 == 0 ? Self.specialBytes.randomElement(using: &generator) ?? 0 : UInt8(truncatingIfNeeded: generator.next())
                })
            }
            for bytes in inputs {
                let expected = Self.reference(bytes)
                if expected.count != bytes.count + 2 { escaped += 1 }
                if bytes.contains(where: { $0 >= 0x80 }) { nonASCII += 1 }
                for alignment in 0..<8 {
                    let got = Self.written(bytes, sourceOffset: alignment, prefix: (alignment * 5) % 8)
                    #expect(got == expected, "bytes \(bytes), alignment \(alignment)")
                    cases += 1
                }
            }
        }
        // 41 lengths; 820 positions of a special byte, 23 bytes each; 41 runs with none;
        // 40 random mixtures per length; each at 8 alignments.
        #expect(cases == (820 * 23 + 41 + 41 * 40) * 8)
        #expect(escaped > 8_000 && nonASCII > 5_000)
    }

    @Test("Strings given as String are written as their UTF-8 bytes byte by byte would be")
    func swiftStringsMatchTheReference() {
        var generator = SplitMix64(seed: 0x5EED_0002)
        var cases = 0
        for scalarCount in 0...40 {
            for _ in 0..<50 {
                var text = ""
                for _ in 0..<scalarCount {
                    // Mostly plain letters, as real text is, so that long clean runs occur.
                    let plain = generator.next() % 3 != 0
                    text.unicodeScalars.append(plain ? "k" : Self.scalars.randomElement(using: &generator) ?? "a")
                }
                var writer = CanonicalWriter(capacity: 16)
                writer.appendString(text)
                #expect(writer.bytes == Self.reference(text.utf8), "\(text.debugDescription)")
                cases += 1
            }
        }
        #expect(cases == 41 * 50)
    }

    @Test("Integers are written as Swift describes them, after any number of bytes")
    func integersMatchTheirDescription() {
        var generator = SplitMix64(seed: 0x5EED_0003)
        var values: [Int64] = [0, 1, -1, 9, 10, 99, 100, 101, 999, 1_000, Int64.max, Int64.min, Int64.min + 1, 1_733_140_800_000]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        for _ in 0..<2_000 {
            // Uniform over the number of bits, so that every length of number is common.
            let bits = UInt64.random(in: 0...63, using: &generator)
            let magnitude = Int64(truncatingIfNeeded: (generator.next() >> (63 - bits)) >> 1)
            values.append(generator.next() % 2 == 0 ? magnitude : -magnitude)
        }
        for (index, value) in values.enumerated() {
            let prefix = index % 8
            var writer = CanonicalWriter(capacity: 16)
            for _ in 0..<prefix { writer.append(UInt8(ascii: ",")) }
            writer.appendInteger(value)
            writer.append(UInt8(ascii: "]"))
            #expect(writer.bytes == Array(repeating: UInt8(ascii: ","), count: prefix) + Array("\(value)]".utf8))
        }
        #expect(values.count == 14 + 18 * 5 + 2_000)
    }

    @Test("Replica ids are written in lowercase 8-4-4-4-12 form and parse back to themselves")
    func replicaIDsMatchTheirHexForm() throws {
        var generator = SplitMix64(seed: 0x5EED_0004)
        var ids = [ReplicaID(high: 0, low: 0), ReplicaID(high: .max, low: .max), ReplicaID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)]
        for _ in 0..<1_000 { ids.append(ReplicaID(high: generator.next(), low: generator.next())) }
        for (index, id) in ids.enumerated() {
            func hex(_ value: UInt64) -> String {
                let digits = String(value, radix: 16)
                return String(repeating: "0", count: 16 - digits.count) + digits
            }
            let high = hex(id.high)
            let low = hex(id.low)
            let expected = "\(high.prefix(8))-\(high.dropFirst(8).prefix(4))-\(high.suffix(4))-\(low.prefix(4))-\(low.suffix(12))"
            let prefix = index % 8
            var writer = CanonicalWriter(capacity: 16)
            for _ in 0..<prefix { writer.append(UInt8(ascii: "\"")) }
            writer.appendReplicaID(id)
            #expect(writer.bytes == Array(repeating: UInt8(ascii: "\""), count: prefix) + Array(expected.utf8))
            #expect(try #require(ReplicaID(expected)) == id)
        }
        #expect(ids.count == 1_003)
    }
}
