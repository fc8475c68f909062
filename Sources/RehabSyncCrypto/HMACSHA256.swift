import CCrypto

/// HMAC-SHA256 (RFC 2104) through libcrypto's one-shot `HMAC()`, which OpenSSL 3 keeps
/// (only the `HMAC_CTX` functions are deprecated).
public enum HMACSHA256 {
    /// The length of a tag in bytes.
    public static let byteCount = 32

    /// The tag of `message` under `key`. Compare tags with ``ConstantTime/equals(_:_:)``.
    ///
    /// Traps if libcrypto fails, for the same reasons as ``SHA256Digest/hash(_:)``, or if
    /// the key is longer than `Int32.max` bytes, which no real key is.
    public static func authenticate(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        precondition(keyBytes.count <= Int(Int32.max), "HMAC key is too long for libcrypto")
        var tag = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        // An empty array may have no storage; point at one dummy byte and pass length 0 so
        // that libcrypto always sees a valid pointer.
        let keyStorage = keyBytes.isEmpty ? [0] : keyBytes
        let messageStorage = messageBytes.isEmpty ? [0] : messageBytes
        let result = keyStorage.withUnsafeBytes { keyBuffer in
            messageStorage.withUnsafeBufferPointer { messageBuffer in
                tag.withUnsafeMutableBufferPointer { tagBuffer in
                    HMAC(
                        EVP_sha256(),
                        keyBuffer.baseAddress, Int32(keyBytes.count),
                        messageBuffer.baseAddress, messageBytes.count,
                        tagBuffer.baseAddress, &length
                    )
                }
            }
        }
        guard result != nil, Int(length) == byteCount else {
            fatalError("\(CryptoError.fromOpenSSL(operation: "HMAC"))")
        }
        return tag
    }
}
