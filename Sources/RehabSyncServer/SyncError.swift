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

    /// A pushed record the device may not see, answered the same whether it exists in
    /// another unit or not at all, so that push tells nothing of other units' records.
    static func recordNotVisible(field: String) -> SyncError {
        SyncError(status: 403, code: "out_of_scope", message: "no record with this id in the device's care units", field: field)
    }

    static let tokenInUse = SyncError(
        status: 409, code: "token_in_use",
        message: "this device token is bound to another replica instance (another laptop, or a replica created again); "
            + "a token belongs to one replica: run 'rehabsync replica init --replace' on the device that should keep it, or enrol a new device",
        field: SyncService.instanceHeader)

    static let instanceRequired = SyncError(
        status: 409, code: "instance_required",
        message: "this device token is bound to a replica instance; send it in \(SyncService.instanceHeader)",
        field: SyncService.instanceHeader)

    /// A push from a replica file that has not sent as far as the server has stored: an
    /// old copy of the file, restored from a backup, whose new dots may repeat old ones.
    static func replicaBehind(sent: Int64, stored: Int64) -> SyncError {
        SyncError(status: 409, code: "replica_behind",
                  message: "the server holds writes of this replica up to counter \(stored), but this replica file has only sent up to \(sent): "
                      + "it is an older copy (restored from a backup?); it must take a fresh replica id for its unsent writes",
                  field: SyncService.sentMarkHeader)
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
