import RehabSyncCore

/// Byte-level mutations of corpus inputs, driven by a seeded generator so that a failing
/// input can be made again from its seed and iteration.
struct SeededMutator {
    private var generator: SplitMix64

    /// Bytes that matter to the parsers: JSON and HTTP punctuation, digits, separators of
    /// identifiers, and bytes that are not UTF-8.
    static let interesting: [[UInt8]] = [
        Array("{".utf8), Array("}".utf8), Array("[".utf8), Array("]".utf8), Array("\"".utf8), Array(",".utf8), Array(":".utf8),
        Array("\\".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8), Array("\r\n".utf8), Array("\r\n\r\n".utf8), Array("\n".utf8),
        Array(" ".utf8), Array("\t".utf8), Array("-".utf8), Array("+".utf8), Array("0".utf8), Array("9".utf8),
        Array("9007199254740993".utf8), Array("-1".utf8), Array("1e308".utf8), Array("null".utf8), Array("true".utf8),
        Array("Content-Length: 99999999999999999999\r\n".utf8), Array("Transfer-Encoding: chunked\r\n".utf8),
        Array("ffffffffffffffff\r\n".utf8), Array("Å".utf8), [0x00], [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x7F],
    ]

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func below(_ bound: Int) -> Int {
        bound <= 1 ? 0 : Int(generator.next() % UInt64(bound))
    }

    /// One to four mutations of `input`, sometimes spliced with `other`.
    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            let position = below(bytes.count + 1)
            switch below(9) {
            case 0 where !bytes.isEmpty: // flip a bit
                let index = below(bytes.count)
                bytes[index] ^= UInt8(1 << below(8))
            case 1 where !bytes.isEmpty: // replace a byte
                bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: generator.next())
            case 2: // insert an interesting token
                bytes.insert(contentsOf: Self.interesting[below(Self.interesting.count)], at: position)
            case 3 where !bytes.isEmpty: // delete a run
                let end = min(bytes.count, position + 1 + below(16))
                bytes.removeSubrange(min(position, bytes.count - 1)..<end)
            case 4 where !bytes.isEmpty: // duplicate a run
                let start = below(bytes.count)
                let end = min(bytes.count, start + 1 + below(64))
                bytes.insert(contentsOf: bytes[start..<end], at: position)
            case 5: // truncate
                bytes.removeSubrange(position..<bytes.count)
            case 6 where !other.isEmpty: // splice the head of this with the tail of another input
                bytes = Array(bytes[..<position]) + Array(other[below(other.count)...])
            case 7 where !bytes.isEmpty: // change a digit, which moves counters, dates and lengths
                if let index = bytes.indices.filter({ bytes[$0] >= 48 && bytes[$0] <= 57 }).randomElement(using: &generator) {
                    bytes[index] = UInt8(48 + below(10))
                }
            default: // swap two bytes
                if bytes.count >= 2 { bytes.swapAt(below(bytes.count), below(bytes.count)) }
            }
        }
        return bytes
    }
}
