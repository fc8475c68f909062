/// A JSON document as a value. The core keeps its own JSON so that parsing is strict
/// (RFC 8259, no duplicate keys, bounded depth) and encoding is canonical: the same
/// value always gives the same bytes, which is what makes replicas comparable.
///
/// Integers and fractional numbers are distinct cases: `1` and `1.0` are different
/// values with different encodings.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, if this is one.
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The whole number this is, also when written with a zero fraction (`5.0`): JSON and
    /// JSON Schema give `5.0` the value 5, and a client's encoder may write it so. Only
    /// within ±(2^53 - 1), where a double holds every whole number exactly.
    public var wholeNumberValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) <= 9_007_199_254_740_991: return Int64(value)
        default: return nil
        }
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// A short name of the kind of value, for error messages that must not echo data.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
