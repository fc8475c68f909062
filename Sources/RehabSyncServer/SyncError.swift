import RehabSyncCore
import RehabSyncDomain

/// The error type of the sync server: everything a client can be told, with the HTTP
/// status it answers with and the `{"error":{"code","message","field"}}` parts. Anything
/// else that goes wrong is a 500 that carries only the request id.
public struct SyncError: Error, Hashable, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    public let field: String?

    public init(status: Int, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(status) \(code)\(field.map { " at \($0)" } ?? ""): \(message)" }

    static func badRequest(_ code: String, _ message: String, field: String? = nil) -> SyncError {
        SyncError(status: 400, code: code, message: message, field: field)
    }

    static let unauthorized = SyncError(status: 401, code: "unauthorized", message: "a valid bearer token is required")

    static func forbidden(_ message: String, field: String? = nil) -> SyncError {
        SyncError(status: 403, code: "out_of_scope", message: message, field: field)
    }

    static func notFound(_ message: String) -> SyncError {
        SyncError(status: 404, code: "not_found", message: message)
    }

    /// A domain rule refused a record: 422 naming collection, record, field and rule.
    static func invalidRecord(_ error: DomainError, at path: String) -> SyncError {
        SyncError(status: 422, code: "validation_failed",
                  message: "\(error.collection)/\(error.recordID): \(error.rule): \(error.message)",
                  field: error.field.map { "\(path).fields.\($0)" } ?? path)
    }
}
