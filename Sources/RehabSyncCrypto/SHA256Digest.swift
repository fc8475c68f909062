import CCrypto

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface.
///
/// Named `SHA256Digest` rather than `SHA256` because libcrypto exports a C function
/// called `SHA256`, and the two would be ambiguous wherever both modules are imported.
public enum SHA256Digest {
    /// The length of a digest in bytes.
    public static let byteCount = 32

    /// The digest of `bytes`.
    ///
    /// Traps if libcrypto fails, which for SHA-256 only happens when it cannot allocate
    /// or its default provider is missing; neither can be recovered from by a caller,
    /// and returning some other value would be worse than stopping.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes` as lowercase hex.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(hash(bytes))
    }
}
