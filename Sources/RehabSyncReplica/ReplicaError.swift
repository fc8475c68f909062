/// Why a replica operation failed, in terms a clinic's IT department can act on.
public enum ReplicaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The local database is not a replica yet (run `replica init`), or is broken.
    case notInitialised(String)
    /// A write or argument the domain refuses; nothing was stored.
    case invalid(code: String, message: String, field: String?)
    /// The server refused a request; no retry helps until something changes.
    case refused(status: Int, code: String, message: String, field: String?)
    /// The server could not be reached or kept failing after every retry.
    case unreachable(String)

    /// The HTTP status, code, message and field of a refusal (0 and empty otherwise).
    var status: Int { if case .refused(let status, _, _, _) = self { status } else { 0 } }
    var code: String { if case .refused(_, let code, _, _) = self { code } else { "" } }
    var message: String { if case .refused(_, _, let message, _) = self { message } else { description } }
    var field: String? { if case .refused(_, _, _, let field) = self { field } else { nil } }

    public var description: String {
        switch self {
        case .notInitialised(let message): return "not a replica: \(message)"
        case .invalid(let code, let message, let field): return "refused (\(code))\(field.map { " at \($0)" } ?? ""): \(message)"
        case .refused(let status, let code, let message, let field):
            let hint = status == 401 ? " (the device's token is missing, wrong or revoked; local data is kept)" : ""
            return "server answered \(status) \(code)\(field.map { " at \($0)" } ?? ""): \(message)\(hint)"
        case .unreachable(let message): return "server unreachable: \(message)"
        }
    }
}
