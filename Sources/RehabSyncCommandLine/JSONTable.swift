import RehabSyncCore
import RehabSyncDomain

/// Turns the JSON a command prints for scripts into a ``TextTable`` for a person: the same
/// data, chosen members as columns, times shown in Swedish time.
public enum JSONTable {
    /// How a member's value is shown.
    public enum Kind: Sendable {
        /// Strings as they are, numbers in digits, booleans as yes/no, lists joined by commas.
        case text
        /// Epoch milliseconds or an RFC 3339 instant, shown by ``SwedishTimeText``.
        case time
        /// The value's canonical JSON.
        case json
    }

    /// One column: its header, the member it shows, and how.
    public struct Field: Sendable {
        public let title: String
        public let key: String
        public let kind: Kind

        public init(_ title: String, _ key: String, _ kind: Kind = .text) {
            self.title = title
            self.key = key
            self.kind = kind
        }
    }

    /// One row per object of `items` (anything else gives an empty row); whole-number
    /// columns line up on the right.
    public static func table(_ items: [JSONValue], fields: [Field]) -> TextTable {
        let numeric = fields.map { field in
            field.kind == .text && items.contains { $0.objectValue?[field.key]?.integerValue != nil }
                && items.allSatisfy { item in
                    let value = item.objectValue?[field.key]
                    return value == nil || value == .null || value?.integerValue != nil
                }
        }
        var table = TextTable(zip(fields, numeric).map { TextTable.Column($0.title, alignment: $1 ? .right : .left) })
        for item in items {
            table.append(fields.map { cell(item.objectValue?[$0.key], kind: $0.kind) })
        }
        return table
    }

    /// One row per field of a single object, for a status: `FIELD  VALUE`.
    public static func keyValue(_ object: JSONValue, fields: [Field]) -> TextTable {
        var table = TextTable([TextTable.Column("FIELD"), TextTable.Column("VALUE")])
        for field in fields {
            table.append([field.title, cell(object.objectValue?[field.key], kind: field.kind)])
        }
        return table
    }

    /// One value as a cell; an absent or null value is empty.
    public static func cell(_ value: JSONValue?, kind: Kind) -> String {
        guard let value, value != .null else { return "" }
        switch (kind, value) {
        case (.time, .integer(let milliseconds)):
            return SwedishTimeText.format(unixMilliseconds: milliseconds)
        case (.time, .string(let text)):
            return ISODateTime.unixMilliseconds(text).map { SwedishTimeText.format(unixMilliseconds: $0) } ?? text
        case (.json, _):
            return value.canonicalText
        case (_, .string(let text)):
            return text
        case (_, .integer(let number)):
            return "\(number)"
        case (_, .bool(let flag)):
            return flag ? "yes" : "no"
        case (_, .array(let items)) where items.allSatisfy({ $0.stringValue != nil }):
            return items.compactMap(\.stringValue).joined(separator: ", ")
        default:
            return value.canonicalText
        }
    }
}
