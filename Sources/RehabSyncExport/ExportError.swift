/// What went wrong in the export layer, with enough context to act on it: a stable code,
/// a message, the field (and the file) at fault, and the HTTP status an admin call answers
/// with. Messages never quote patient data.
public struct ExportError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let field: String?
    public let file: String?
    public let status: Int

    public init(_ code: String, _ message: String, field: String? = nil, file: String? = nil, status: Int = 400) {
        self.code = code
        self.message = message
        self.field = field
        self.file = file
        self.status = status
    }

    public var description: String {
        var text = ""
        if let file { text += "\(file): " }
        if let field { text += "\(field): " }
        return text + message
    }

    /// A job file or setting that does not follow the rules.
    static func invalid(_ field: String, _ message: String, file: String?) -> ExportError {
        ExportError("invalid_job", message, field: field, file: file)
    }
}
