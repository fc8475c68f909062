// Byte-exact reads for documents that are usually in canonical form. A push batch or pull
// page is written by RehabSync's own canonical writer, so a decoder can first try to match
// the exact bytes it expects and fall back to the general reader (from the same position)
// on the first surprise. Each read either consumes what it matched or leaves the position
// where it was.

extension JSONParser {
    /// Consumes `literal` if the next bytes are exactly it.
    mutating func consume(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index + length <= bytes.count else { return false }
        let expected = literal.utf8Start
        let start = index
        let matches = bytes.withUnsafeBufferPointer { buffer in
            // Safe because the guard above keeps `start + length` within the buffer, which
            // is then not empty.
            let base = buffer.baseAddress! + start
            for offset in 0..<length where base[offset] != expected[offset] { return false }
            return true
        }
        if matches { index += length }
        return matches
    }

    /// Consumes a non-negative integer written canonically (no sign, no leading zero, no
    /// fraction or exponent) that is at most `maximum`; nil, consuming nothing, otherwise.
    mutating func consumeCanonicalCounter(maximum: Int64) -> Int64? {
        var end = index
        var value: Int64 = 0
        while end < bytes.count, end - index < 18 {
            let byte = bytes[end]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            end += 1
        }
        guard end > index, value <= maximum, end < bytes.count else { return nil }
        // A leading zero, or a number that goes on (more digits, fraction, exponent), is
        // left to the general reader, which accepts or refuses it with its own message.
        if bytes[index] == UInt8(ascii: "0"), end - index > 1 { return nil }
        switch bytes[end] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
        default: break
        }
        index = end
        return value
    }

    /// Consumes a string of printable ASCII without escapes and hands its bytes (without
    /// the quotes) to `convert`; nil, consuming nothing, when the string is anything else
    /// or `convert` returns nil.
    mutating func consumePlainString<T>(_ convert: (UnsafeBufferPointer<UInt8>) -> T?) -> T? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        let result = bytes.withUnsafeBufferPointer { convert(UnsafeBufferPointer(rebasing: $0[start..<end])) }
        if result != nil { index = end + 1 }
        return result
    }

    /// Reads one value nested one level below the current object or array, counting that
    /// level towards the depth limit exactly as the general readers do.
    mutating func readNestedValue() throws(CoreError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        return try parseValue()
    }
}
