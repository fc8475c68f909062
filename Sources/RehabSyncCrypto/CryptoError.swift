import CCrypto

/// A libcrypto call that failed, with the first error OpenSSL queued for it.
///
/// Messages name the operation and OpenSSL's reason only; inputs (keys, tokens, data)
/// are never part of an error because they may be secrets or patient data.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The libcrypto function that failed, such as `RAND_bytes`.
    public var operation: String
    /// OpenSSL's packed error code from `ERR_get_error`, or 0 when none was queued.
    public var code: UInt
    /// OpenSSL's text for `code` from `ERR_error_string_n`, or a fallback sentence.
    public var reason: String

    public init(operation: String, code: UInt, reason: String) {
        self.operation = operation
        self.code = code
        self.reason = reason
    }

    /// Takes the oldest error from this thread's OpenSSL queue and clears the rest, so
    /// that a later failure is not reported with a stale reason.
    static func fromOpenSSL(operation: String) -> CryptoError {
        let code = UInt(ERR_get_error())
        ERR_clear_error()
        guard code != 0 else {
            return CryptoError(operation: operation, code: 0, reason: "no OpenSSL error was queued")
        }
        // OpenSSL documents 256 bytes as enough for any error string.
        var buffer = [CChar](repeating: 0, count: 256)
        let reason = buffer.withUnsafeMutableBufferPointer { pointer -> String in
            guard let base = pointer.baseAddress else { return "unknown OpenSSL error" }
            ERR_error_string_n(code, base, pointer.count)
            return String(cString: base)
        }
        return CryptoError(operation: operation, code: code, reason: reason)
    }

    public var description: String {
        "\(operation) failed: \(reason)"
    }
}
