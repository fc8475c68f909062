/// A strict, non-recursive-descent-bounded JSON parser over UTF-8 bytes (RFC 8259).
///
/// Refuses what lenient parsers accept and canonical encoding could not reproduce:
/// duplicate object keys, invalid UTF-8, lone surrogates, leading zeros, trailing
/// commas, numbers that overflow a Double, and nesting deeper than `maximumDepth`.
public struct JSONParser {
    /// Deeper documents are refused; no record needs more and it bounds the stack.
    public static let maximumDepth = 64

    let bytes: [UInt8]
    var index = 0
    var depth = 0
    /// The strings the canonical state check built for the states read so far, so that a
    /// reader of many states builds each recurring one once (``CanonicalStrings``).
    var canonicalStrings = CanonicalStrings()

    /// A reader over one document, for the streaming `read…` methods.
    public init(_ bytes: [UInt8]) {
        self.init(bytes: bytes)
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one complete document; trailing non-whitespace is an error.
    public static func parse(_ bytes: [UInt8]) throws(CoreError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw parser.failure("unexpected bytes after the document")
        }
        return value
    }

    /// Parses one complete document from a string.
    public static func parse(_ text: String) throws(CoreError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    func failure(_ message: String) -> CoreError {
        CoreError(.malformedJSON, "\(message) at byte \(index)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(CoreError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of document") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(CoreError) {
        let length = literal.utf8CodeUnitCount
        guard index + length <= bytes.count else { throw failure("unexpected end of document") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<length).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw failure("invalid literal") }
        index += length
    }

    mutating func enter() throws(CoreError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw CoreError(.tooDeep, "document nests deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func parseObject() throws(CoreError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        try readObject(path: "") { reader, key throws(CoreError) in
            members[key] = try reader.readValue()
        }
        return .object(members)
    }

    private mutating func parseArray() throws(CoreError) -> JSONValue {
        var elements: [JSONValue] = []
        try readArray(path: "") { reader, _ throws(CoreError) in
            elements.append(try reader.readValue())
        }
        return .array(elements)
    }

    mutating func parseString() throws(CoreError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: most strings have no escapes and can be validated in place.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let text = Self.string(bytes, start..<index) else {
                    throw failure("string is not valid UTF-8")
                }
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw failure("unescaped control character in string") }
            index += 1
        }
        var scalars = Array(bytes[start..<index])
        var runStart = index
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: bytes[runStart..<index])
                index += 1
                break
            } else if byte == UInt8(ascii: "\\") {
                scalars.append(contentsOf: bytes[runStart..<index])
                index += 1
                try parseEscape(into: &scalars)
                runStart = index
            } else if byte < 0x20 {
                throw failure("unescaped control character in string")
            } else {
                index += 1
            }
        }
        guard let text = String(validating: scalars, as: UTF8.self) else {
            throw failure("string is not valid UTF-8")
        }
        return text
    }

    /// The text of `range`, or nil if it is not valid UTF-8. ASCII, the usual case for
    /// keys, ids and codes, needs no validation beyond the high bit.
    private static func string(_ bytes: [UInt8], _ range: Range<Int>) -> String? {
        bytes.withUnsafeBufferPointer { buffer in
            let slice = UnsafeBufferPointer(rebasing: buffer[range])
            var high: UInt8 = 0
            for byte in slice { high |= byte }
            if high < 0x80 { return String(decoding: slice, as: UTF8.self) }
            return String(validating: slice, as: UTF8.self)
        }
    }

    private mutating func parseEscape(into output: inout [UInt8]) throws(CoreError) {
        guard index < bytes.count else { throw failure("unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw failure("lone high surrogate") }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("invalid low surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw failure("lone low surrogate")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid escape") }
            output.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func parseHex4() throws(CoreError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let nibble: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | nibble
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(CoreError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("leading zero in number") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid fraction") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if isInteger, index - start <= 18 {
            // Up to 18 digits always fit in Int64: accumulate without building a string.
            var value: Int64 = 0
            let negative = bytes[start] == UInt8(ascii: "-")
            for position in (negative ? start + 1 : start)..<index {
                value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
            }
            return .integer(negative ? -value : value)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let integer = Int64(text) {
            return .integer(integer)
        }
        guard let double = Double(text), double.isFinite else {
            throw CoreError(.malformedJSON, "number out of range at byte \(start)")
        }
        // -0.0 equals 0.0 as a value; keep one spelling so equal values encode equally.
        return .double(double == 0 ? 0 : double)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: - Streaming

    // The streaming methods let a decoder walk a document without building a JSONValue
    // for its structure: record states and push batches are read this way, because
    // dictionaries for every sibling object dominated the cost of a push.

    /// Reads an object, calling `member` with each name; `member` must read the value.
    /// Duplicate names are refused. `path` names the object in errors.
    public mutating func readObject(
        path: @autoclosure () -> String, _ member: (inout JSONParser, String) throws(CoreError) -> Void
    ) throws(CoreError) {
        var seen = SeenMemberNames()
        try readMembers(path: path) { reader throws(CoreError) in
            let key = try reader.parseString()
            guard seen.insert(key) else {
                let path = path()
                throw CoreError(.malformedJSON, "duplicate member name", field: path.isEmpty ? key : "\(path).\(key)")
            }
            return key
        } _: { reader, key throws(CoreError) in
            try member(&reader, key)
        }
    }

    /// The walk over an object's members shared by the object readers: `name` reads a
    /// member name at its opening quote, `member` the value after the colon.
    mutating func readMembers<Name>(
        path: () -> String, name: (inout JSONParser) throws(CoreError) -> Name,
        _ member: (inout JSONParser, Name) throws(CoreError) -> Void
    ) throws(CoreError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            let path = path()
            throw CoreError(.wrongType, "expected an object", field: path.isEmpty ? nil : path)
        }
        try enter()
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try name(&self)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            try member(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of document") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return
            } else {
                throw failure("expected ',' or '}'")
            }
        }
    }

    /// Reads an array, calling `element` with each offset; `element` must read the value.
    public mutating func readArray(
        path: @autoclosure () -> String, _ element: (inout JSONParser, Int) throws(CoreError) -> Void
    ) throws(CoreError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else {
            let path = path()
            throw CoreError(.wrongType, "expected an array", field: path.isEmpty ? nil : path)
        }
        try enter()
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        var offset = 0
        while true {
            try element(&self, offset)
            offset += 1
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of document") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return
            } else {
                throw failure("expected ',' or ']'")
            }
        }
    }

    /// Reads any value as a JSONValue.
    public mutating func readValue() throws(CoreError) -> JSONValue {
        skipWhitespace()
        return try parseValue()
    }

    /// Checks that nothing but white space follows what was read.
    public mutating func finish() throws(CoreError) {
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected bytes after the document") }
    }
}

/// The member names of one object met so far, for the duplicate check. Canonical
/// documents list names in increasing order, and a name greater than the last cannot have
/// been met, so they need no search; the first four names are kept inline so that small
/// objects allocate nothing. Once names come out of order every name is searched, through
/// a set when the object is large, so the check stays linear.
struct SeenMemberNames {
    private var inline: (String, String, String, String) = ("", "", "", "")
    private var count = 0
    private var overflow: [String] = []
    private var set: Set<String>?
    private var ordered = true

    /// Records `name`; false when it was met before.
    mutating func insert(_ name: String) -> Bool {
        if ordered, count > 0, !(last < name) { ordered = false }
        if !ordered, contains(name) { return false }
        switch count {
        case 0: inline.0 = name
        case 1: inline.1 = name
        case 2: inline.2 = name
        case 3: inline.3 = name
        default: overflow.append(name)
        }
        count += 1
        set?.insert(name)
        return true
    }

    private var last: String {
        switch count {
        case 1: inline.0
        case 2: inline.1
        case 3: inline.2
        case 4: inline.3
        default: overflow[count - 5]
        }
    }

    private mutating func contains(_ name: String) -> Bool {
        if count > 16 {
            if set == nil { set = Set([inline.0, inline.1, inline.2, inline.3] + overflow) }
            return set?.contains(name) ?? false
        }
        if count > 0, inline.0 == name { return true }
        if count > 1, inline.1 == name { return true }
        if count > 2, inline.2 == name { return true }
        if count > 3, inline.3 == name { return true }
        return overflow.contains(name)
    }
}
