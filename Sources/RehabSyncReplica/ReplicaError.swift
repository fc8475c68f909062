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
