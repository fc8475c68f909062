import CCrypto

/// An incremental SHA-256 computation, for input that arrives in pieces.
///
/// Non-copyable because it owns an `EVP_MD_CTX`: a copy would share the context and
/// free it twice. `finalize()` consumes the hasher, so it cannot be updated afterwards.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    /// A hasher with no input yet. Traps if libcrypto cannot allocate or initialise the
    /// context (see ``SHA256Digest/hash(_:)``).
    public init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("\(CryptoError.fromOpenSSL(operation: "EVP_MD_CTX_new"))")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            let error = CryptoError.fromOpenSSL(operation: "EVP_DigestInit_ex")
            EVP_MD_CTX_free(context)
            fatalError("\(error)")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Feeds more input.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let context = self.context
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            Self.feed(context, buffer)
        }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { Self.feed(context, $0) }
        }
    }

    private static func feed(_ context: OpaquePointer, _ buffer: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have no base address; there is nothing to feed anyway.
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        guard EVP_DigestUpdate(context, base, buffer.count) == 1 else {
            fatalError("\(CryptoError.fromOpenSSL(operation: "EVP_DigestUpdate"))")
        }
    }

    /// The digest of everything fed so far.
    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        var length: UInt32 = 0
        let status = digest.withUnsafeMutableBufferPointer { buffer in
            EVP_DigestFinal_ex(context, buffer.baseAddress, &length)
        }
        guard status == 1, Int(length) == SHA256Digest.byteCount else {
            fatalError("\(CryptoError.fromOpenSSL(operation: "EVP_DigestFinal_ex"))")
        }
        return digest
    }
}
