/// Opaque API tokens: handed to a client once, stored only as a SHA-256 hash.
///
/// A token is `rs_` followed by 64 lowercase hex characters (32 random bytes). The
/// prefix makes leaked tokens easy to recognise in logs and by secret scanners. A plain
/// hash, not a slow password hash, is enough for storage because the token carries 256
/// bits of entropy and cannot be guessed from its hash.
public enum BearerToken {
    /// What every token starts with.
    public static let prefix = "rs_"
    /// How many random bytes a token carries.
    public static let randomByteCount = 32

    /// A new token. Throws when the secure generator fails.
    public static func generate() throws(CryptoError) -> String {
        let bytes = try SecureRandom.bytes(randomByteCount)
        return prefix + Hex.encode(bytes)
    }

    /// The value to store for `token`: the lowercase hex SHA-256 of its UTF-8 bytes.
    public static func hash(_ token: String) -> String {
        SHA256Digest.hex(Array(token.utf8))
    }

    /// Whether `token` is the one whose ``hash(_:)`` is `storedHash`, compared in
    /// constant time. A `storedHash` that is not 64 hex characters never matches.
    public static func matches(_ token: String, storedHash: String) -> Bool {
        guard let stored = Hex.decode(storedHash), stored.count == SHA256Digest.byteCount else {
            return false
        }
        return ConstantTime.equals(SHA256Digest.hash(Array(token.utf8)), stored)
    }
}
