/// An HSA-id: the national catalogue's identifier for a care unit, organisation or
/// member of staff, such as `SE2321000016-1003`.
///
/// Format: `SE`, the organisation number (10 digits, or 12 where a century-style prefix
/// such as `16` is included), `-`, then one or more ASCII letters or digits; at most 31
/// characters in all. Stored exactly as given: the extension's case is preserved, and
/// nothing (not even whitespace) is trimmed, because HSA-ids are compared as strings.
public struct HSAID: Hashable, Sendable, CustomStringConvertible {
    /// The HSA-id as given.
    public let value: String

    /// The longest HSA-id the catalogue allows.
    public static let maximumLength = 31

    /// Validates `text` as an HSA-id.
    public init(_ text: String) throws(IdentifierError) {
        // Read in the string's own storage: a push checks a few HSA-ids in every record.
        var bytes = text
        if let error = bytes.withUTF8(Self.formatError) { throw error }
        self.value = text
    }

    public var description: String { value }

    /// What is wrong with `bytes` as an HSA-id, or nil if nothing is; the checks and their
    /// order are those a reader of the format above expects to be told about first.
    private static func formatError(_ bytes: UnsafeBufferPointer<UInt8>) -> IdentifierError? {
        guard bytes.count <= maximumLength else {
            return IdentifierError(rule: "hsaid.format", message: "An HSA-id has at most \(maximumLength) characters.")
        }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "S"), bytes[1] == UInt8(ascii: "E") else {
            return IdentifierError(rule: "hsaid.format", message: "An HSA-id starts with uppercase 'SE'.")
        }
        var index = 2
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        let organisationDigits = index - 2
        guard organisationDigits == 10 || organisationDigits == 12 else {
            return IdentifierError(
                rule: "hsaid.format",
                message: "An HSA-id has a 10- or 12-digit organisation number after 'SE'."
            )
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "-") else {
            return IdentifierError(rule: "hsaid.format", message: "An HSA-id has a '-' after the organisation number.")
        }
        index += 1
        guard index < bytes.count, bytes[index...].allSatisfy(isAlphanumeric) else {
            return IdentifierError(
                rule: "hsaid.format",
                message: "An HSA-id ends with one or more letters A-Z, a-z or digits after the '-'."
            )
        }
        return nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }
}
