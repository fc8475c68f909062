/// A reference-data file (KVÅ list, questionnaire definition) that cannot be loaded.
public struct ReferenceDataError: Error, Hashable, Sendable, CustomStringConvertible {
    public let source: String
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}
