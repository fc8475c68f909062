extension JSONValue {
    /// The canonical encoding: object members sorted by the UTF-8 bytes of their names,
    /// no insignificant whitespace, strings escaped only where JSON requires it, and
    /// numbers in their shortest round-trip form. Equal values give equal bytes.
    public var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter()
        write(to: &writer)
        return writer.bytes
    }

    /// The canonical encoding as a string.
    public var canonicalText: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// Writes the canonical encoding.
    public func write(to writer: inout CanonicalWriter) {
        switch self {
        case .null:
            writer.append("null")
        case .bool(let value):
            writer.append(value ? "true" : "false")
        case .integer(let value):
            writer.appendInteger(value)
        case .double(let value):
            var text = value.description
            text.withUTF8 { writer.append($0) }
        case .string(let value):
            writer.appendString(value)
        case .array(let elements):
            writer.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { writer.append(UInt8(ascii: ",")) }
                element.write(to: &writer)
            }
            writer.append(UInt8(ascii: "]"))
        case .object(let members):
            writer.append(UInt8(ascii: "{"))
            for (offset, key) in members.keys.sorted(by: CanonicalJSON.precedes).enumerated() {
                if offset > 0 { writer.append(UInt8(ascii: ",")) }
                writer.appendString(key)
                writer.append(UInt8(ascii: ":"))
                // Safe because `key` was taken from `members.keys` just above.
                members[key]!.write(to: &writer)
            }
            writer.append(UInt8(ascii: "}"))
        }
    }
}

/// Rules of the canonical encoding shared by every type that writes itself.
public enum CanonicalJSON {
    /// The order of member names: by UTF-8 bytes, which every language can reproduce
    /// (Swift's own `<` on strings follows Unicode rules instead).
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}
