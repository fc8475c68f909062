import RehabSyncCore

/// A reference-data file (KVÅ list, questionnaire definition) that cannot be loaded.
public struct ReferenceDataError: Error, Hashable, Sendable, CustomStringConvertible {
    public let source: String
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }

    /// Parses a reference-data file, naming the file if it is not JSON.
    static func parse(_ bytes: [UInt8], name: String) throws(ReferenceDataError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw ReferenceDataError(source: name, message: "not valid JSON: \(error.message)")
        }
    }
}
