// Typed reads for decoders that know the shape they expect. A record state repeats the
// same five sibling members for every field of every record, and a pull page or push
// batch holds thousands of states: matching those names as bytes, and reading strings and
// replica ids without a JSONValue around them, is what keeps decoding cheap.

/// Member names a decoder expects in an object, matched against the document's bytes so
/// that reading the object builds no String for them.
public struct JSONMemberNames: Sendable {
    let names: [[UInt8]]

    /// At most 64 names, none repeated: the names met are reported as a bit mask.
    public init(_ names: [String]) {
        precondition(!names.isEmpty && names.count <= 64 && Set(names).count == names.count,
                     "member names are 1 to 64 distinct strings")
        self.names = names.map { Array($0.utf8) }
    }

    /// The name at `offset`.
    public subscript(offset: Int) -> String {
        String(decoding: names[offset], as: UTF8.self)
    }

    /// The first name whose bit is not set in `met` (a mask from `readObject(path:names:)`),
    /// or nil when every name was met.
    public func firstMissing(from met: UInt64) -> String? {
        names.indices.first { met & (1 << UInt64($0)) == 0 }.map { self[$0] }
    }

    /// The offset of `bytes` among the names, if it is one of them.
    func offset(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for (offset, name) in names.enumerated() where name.count == bytes.count {
            if name.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return offset }
        }
        return nil
    }
}

extension JSONParser {
    /// Reads an object whose members must all be among `names`, calling `member` with the
    /// offset of each name met; `member` must read the value. Repeated names are refused,
    /// and so are unknown ones unless `skippingUnknown`, when their values are parsed and
    /// dropped (for documents a newer peer may extend). Returns the names met as a bit
    /// mask (bit `i` for `names[i]`), so that the caller can name what is missing.
    @discardableResult
    public mutating func readObject(
        path: @autoclosure () -> String, names: JSONMemberNames, skippingUnknown: Bool = false,
        _ member: (inout JSONParser, Int) throws(CoreError) -> Void
    ) throws(CoreError) -> UInt64 {
        var met: UInt64 = 0
        var unknown = SeenMemberNames()
        try readMembers(path: path) { reader throws(CoreError) in
            try reader.memberName(names, skippingUnknown: skippingUnknown, path: path)
        } _: { reader, found throws(CoreError) in
            let (offset, name) = found
            guard let offset else {
                // Only reached when skipping, and then memberName names the member.
                // Unknown names must still be distinct.
                let name = name ?? ""
                guard unknown.insert(name) else {
                    let path = path()
                    throw CoreError(.malformedJSON, "duplicate member name", field: path.isEmpty ? name : "\(path).\(name)")
                }
                _ = try reader.readValue()
                return
            }
            let bit: UInt64 = 1 << UInt64(offset)
            guard met & bit == 0 else {
                let path = path()
                let name = names[offset]
                throw CoreError(.malformedJSON, "duplicate member name", field: path.isEmpty ? name : "\(path).\(name)")
            }
            met |= bit
            try member(&reader, offset)
        }
        return met
    }

    /// Reads a member name at the opening quote and finds it among `names`. A plain ASCII
    /// name is compared in place; one with escapes or other characters is decoded first,
    /// so that an escaped spelling of a known name still matches it.
    private mutating func memberName(_ names: JSONMemberNames, skippingUnknown: Bool,
                                     path: () -> String) throws(CoreError) -> (Int?, String?) {
        let start = index + 1
        var end = start
        var plain = true
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 {
                plain = false
                break
            }
            end += 1
        }
        if plain, end < bytes.count {
            let found = bytes.withUnsafeBufferPointer { names.offset(of: UnsafeBufferPointer(rebasing: $0[start..<end])) }
            if let found {
                index = end + 1
                return (found, nil)
            }
        }
        var name = try parseString()
        if let found = name.withUTF8({ names.offset(of: $0) }) { return (found, nil) }
        if skippingUnknown { return (nil, name) }
        throw CoreError.unknownMember(name, under: path())
    }

    /// Whether the next value is an object (after white space).
    mutating func nextIsObject() -> Bool {
        skipWhitespace()
        return index < bytes.count && bytes[index] == UInt8(ascii: "{")
    }

    /// Reads a string value, or throws `wrongType()` when the value is something else.
    public mutating func readString(orElse wrongType: @autoclosure () -> CoreError) throws(CoreError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            // Still parse it, so that broken JSON is reported as broken JSON.
            _ = try parseValue()
            throw wrongType()
        }
        return try parseString()
    }

    /// Reads a string value and hands its UTF-8 bytes to `convert`, without building a
    /// String when it has no escapes and is ASCII. Returns nil when `convert` does; throws
    /// `wrongType()` when the value is not a string.
    public mutating func readString<T>(
        orElse wrongType: @autoclosure () -> CoreError, _ convert: (UnsafeBufferPointer<UInt8>) -> T?
    ) throws(CoreError) -> T? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            _ = try parseValue()
            throw wrongType()
        }
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                index = end + 1
                return bytes.withUnsafeBufferPointer { convert(UnsafeBufferPointer(rebasing: $0[start..<end])) }
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            end += 1
        }
        var text = try parseString()
        return text.withUTF8 { convert($0) }
    }
}
