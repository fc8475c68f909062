/// The error type of the pure core: every way a state, a clock or a JSON document
/// can be malformed, with the path of the offending field so that the HTTP layer
/// can answer `{"error":{"code","message","field"}}` without guessing.
public struct CoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem it is; the raw value is the stable code clients see.
    public enum Code: String, Sendable, Hashable {
        case malformedJSON = "malformed_json"
        case tooDeep = "too_deep"
        case invalidReplicaID = "invalid_replica_id"
        case negativeCounter = "negative_counter"
        case counterOverflow = "counter_overflow"
        case invalidClock = "invalid_clock"
        case invalidFieldName = "invalid_field_name"
        case invalidAuthor = "invalid_author"
        case emptySiblings = "empty_siblings"
        case duplicateSibling = "duplicate_sibling"
        case uncoveredSibling = "uncovered_sibling"
        case unexpectedKey = "unexpected_key"
        case missingKey = "missing_key"
        case wrongType = "wrong_type"
        case staleDot = "stale_dot"
        case emptyWrite = "empty_write"
    }

    /// The stable, machine-readable code.
    public var code: Code
    /// A sentence for a human; never contains field values, which may be patient data.
    public var message: String
    /// Where in the document the problem is, as a dotted path such as `fields.title[0].dot`.
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// How much of an unknown member's name an error echoes: enough to find it, too little
    /// to carry a document (or patient data) back in a 400.
    public static let echoedNameLength = 32

    /// The error for an unknown member, naming at most ``echoedNameLength`` characters of
    /// it after the path of its parent (`prefix`, empty at the top).
    public static func unknownMember(_ name: String, under prefix: String = "") -> CoreError {
        let shown = name.count > echoedNameLength ? String(name.prefix(echoedNameLength)) + "…" : name
        return CoreError(.unexpectedKey, "unknown member", field: prefix.isEmpty ? shown : "\(prefix).\(shown)")
    }

    public var description: String {
        if let field { return "\(code.rawValue) at \(field): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
