extension JSONValue {
    /// The canonical encoding: object members sorted by the UTF-8 bytes of their names,
    /// no insignificant whitespace, strings escaped only where JSON requires it, and
    /// numbers in their shortest round-trip form. Equal values give equal bytes.
    public var canonicalBytes: [UInt8] {
        var buffer: [UInt8] = []
        appendCanonical(to: &buffer)
        return buffer
    }

    /// The canonical encoding as a string.
    public var canonicalText: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// Appends the canonical encoding to `buffer`.
    public func appendCanonical(to buffer: inout [UInt8]) {
        switch self {
        case .null:
            buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let value):
            if value {
                buffer.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                buffer.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        case .integer(let value):
            CanonicalJSON.appendInteger(value, to: &buffer)
        case .double(let value):
            buffer.append(contentsOf: Array(value.description.utf8))
        case .string(let value):
            CanonicalJSON.appendString(value, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { buffer.append(UInt8(ascii: ",")) }
                element.appendCanonical(to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            buffer.append(UInt8(ascii: "{"))
            for (offset, key) in members.keys.sorted(by: CanonicalJSON.precedes).enumerated() {
                if offset > 0 { buffer.append(UInt8(ascii: ",")) }
                CanonicalJSON.appendString(key, to: &buffer)
                buffer.append(UInt8(ascii: ":"))
                // Safe because `key` was taken from `members.keys` just above.
                members[key]!.appendCanonical(to: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }
}

/// Building blocks of the canonical encoding, shared by every type that writes itself.
public enum CanonicalJSON {
    /// The order of member names: by UTF-8 bytes, which every language can reproduce
    /// (Swift's own `<` on strings follows Unicode rules instead).
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Appends a decimal integer.
    public static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value == 0 {
            buffer.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { storage in
            while magnitude > 0 {
                storage[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for position in stride(from: count - 1, through: 0, by: -1) {
                buffer.append(storage[position])
            }
        }
    }

    /// Appends a quoted string, escaping only `"`, `\` and control characters.
    public static func appendString(_ value: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: buffer.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: buffer.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: buffer.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: buffer.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                           hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
