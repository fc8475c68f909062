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
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maximumLength else {
            throw IdentifierError(rule: "hsaid.format", message: "An HSA-id has at most \(Self.maximumLength) characters.")
        }
        guard bytes.starts(with: [UInt8(ascii: "S"), UInt8(ascii: "E")]) else {
            throw IdentifierError(rule: "hsaid.format", message: "An HSA-id starts with uppercase 'SE'.")
        }
        let afterPrefix = bytes.dropFirst(2)
        let organisationDigits = afterPrefix.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard organisationDigits.count == 10 || organisationDigits.count == 12 else {
            throw IdentifierError(
                rule: "hsaid.format",
                message: "An HSA-id has a 10- or 12-digit organisation number after 'SE'."
            )
        }
        let rest = afterPrefix.dropFirst(organisationDigits.count)
        guard rest.first == UInt8(ascii: "-") else {
            throw IdentifierError(rule: "hsaid.format", message: "An HSA-id has a '-' after the organisation number.")
        }
        let extensionPart = rest.dropFirst()
        guard !extensionPart.isEmpty, extensionPart.allSatisfy(Self.isAlphanumeric) else {
            throw IdentifierError(
                rule: "hsaid.format",
                message: "An HSA-id ends with one or more letters A-Z, a-z or digits after the '-'."
            )
        }
        self.value = text
    }

    public var description: String { value }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }
}
