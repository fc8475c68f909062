/// Why an identifier (personnummer, samordningsnummer, reserve number, HSA-id, KVÅ code)
/// was refused.
public struct IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable machine code: `personnummer.format`, `personnummer.checksum`,
    /// `personnummer.century`, `personnummer.date`, `personnummer.birthnumber`,
    /// `personnummer.future`, `personnummer.kind`, `reservnummer.format`, `hsaid.format`,
    /// `kva.format` or `kva.statistics`. Samordningsnummer share the `personnummer` rules.
    public var rule: String
    /// A sentence for a human. Never contains the offending value, which may be a
    /// patient's identity number.
    public var message: String

    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(rule): \(message)" }
}
