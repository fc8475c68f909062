/// A refused write, naming what a clinic or an integrator needs to fix it: the collection,
/// the record, the field and the rule. Messages never quote field values, which may be
/// patient data.
public struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    public var collection: String
    public var recordID: String
    /// The offending field, or nil for a rule about the record as a whole.
    public var field: String?
    /// A stable machine code such as `required`, `enum`, `kva.unknown`, `handover.backward`.
    public var rule: String
    public var message: String

    public init(collection: String, recordID: String, field: String?, rule: String, message: String) {
        self.collection = collection
        self.recordID = recordID
        self.field = field
        self.rule = rule
        self.message = message
    }

    public var description: String {
        "\(collection)/\(recordID)\(field.map { ".\($0)" } ?? ""): \(rule): \(message)"
    }
}
