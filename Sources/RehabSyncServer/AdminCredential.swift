import RehabSyncCrypto

/// The administrator's bearer token, held only as its SHA-256 and compared in constant
/// time. The token itself lives in a file readable by the owner only (see ``ServerSettings``).
public struct AdminCredential: Sendable {
    private let hash: String

    public init(token: String) {
        hash = BearerToken.hash(token)
    }

    public func accepts(_ token: String?) -> Bool {
        guard let token else { return false }
        return BearerToken.matches(token, storedHash: hash)
    }
}
