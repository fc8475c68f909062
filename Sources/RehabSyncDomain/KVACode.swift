/// A KVÅ code (Klassifikation av vårdåtgärder, Socialstyrelsen): two uppercase letters
/// and three digits, such as `AW020` or `XV019`.
///
/// This checks the form only. Whether the code exists in the current year's list is
/// checked against versioned reference data, because Socialstyrelsen revises KVÅ yearly.
///
/// Codes ending in `000` are refused here rather than flagged: Socialstyrelsen says they
/// are not valid for statistics and records must use the most detailed level, so a
/// record holding one could never be reported.
public struct KVACode: Hashable, Sendable, CustomStringConvertible {
    /// The code, for example `AW020`.
    public let value: String

    /// Validates `text` as a KVÅ code. Nothing is trimmed or uppercased: codes come from
    /// code lists and pickers, so a different spelling is a bug worth surfacing.
    public init(_ text: String) throws(IdentifierError) {
        let bytes = Array(text.utf8)
        let isLetter = { (byte: UInt8) in (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard bytes.count == 5, bytes[0..<2].allSatisfy(isLetter), bytes[2..<5].allSatisfy(isDigit) else {
            throw IdentifierError(
                rule: "kva.format",
                message: "A KVÅ code is two uppercase letters A-Z followed by three digits."
            )
        }
        guard bytes[2..<5].contains(where: { $0 != UInt8(ascii: "0") }) else {
            throw IdentifierError(
                rule: "kva.statistics",
                message: "KVÅ codes ending in 000 are not valid for statistics; use the most detailed code."
            )
        }
        self.value = text
    }

    public var description: String { value }
}
