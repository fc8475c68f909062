import RehabSyncCrypto

/// The key that seals the access log's chain (HMAC-SHA256). It lives outside the
/// database, in a file only the server's user may read, so that someone who can write
/// the database but not read the key cannot rewrite entries and seal them again.
public struct AuditKey: Sendable {
    let bytes: [UInt8]

    /// Key length in bytes: the HMAC-SHA256 block is larger, the tag is this long.
    static let byteCount = 32

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The seal of one entry: HMAC over the previous seal followed by the entry's canonical
    /// bytes (``AuditEntry/sealedBytes(previous:)``).
    func seal(_ sealedBytes: [UInt8]) -> String {
        Hex.encode(HMACSHA256.authenticate(key: bytes, message: sealedBytes))
    }

    /// Names the key without revealing it, so the database can tell a wrong key file from
    /// the right one at start-up.
    var fingerprint: String {
        Hex.encode(HMACSHA256.authenticate(key: bytes, message: Array("rehabsync audit key fingerprint".utf8)))
    }

    /// Reads the key at `path` (hex), creating a random one (mode 0600) if there is none.
    public static func loadOrCreate(at path: String) throws -> AuditKey {
        if let text = try SecretFile.read(at: path, what: "audit key") {
            guard let bytes = Hex.decode(text), bytes.count == byteCount else {
                throw SettingsError("the audit key file \(path) must hold \(byteCount) bytes in hex")
            }
            return AuditKey(bytes: bytes)
        }
        let bytes = try SecureRandom.bytes(byteCount)
        try SecretFile.create(at: path, text: Hex.encode(bytes), what: "audit key")
        return AuditKey(bytes: bytes)
    }
}
