import CCrypto

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// `count` random bytes; `count` must not be negative.
    ///
    /// Throws when the generator cannot produce output (for example, it could not be
    /// seeded): callers must not fall back to a weaker source.
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        precondition(count >= 0, "cannot generate a negative number of bytes")
        guard count > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: count)
        var offset = 0
        // RAND_bytes takes an Int32 length, so very large requests go in chunks.
        while offset < count {
            let chunk = min(count - offset, Int(Int32.max))
            let status = output.withUnsafeMutableBufferPointer { buffer in
                RAND_bytes(buffer.baseAddress.map { $0 + offset }, Int32(chunk))
            }
            guard status == 1 else {
                throw CryptoError.fromOpenSSL(operation: "RAND_bytes")
            }
            offset += chunk
        }
        return output
    }
}
