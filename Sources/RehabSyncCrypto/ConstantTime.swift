import CCrypto

/// Comparisons whose running time does not depend on where secret inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes.
    ///
    /// The lengths are compared first and a length mismatch returns at once, so the
    /// length is **not** secret; that is fine for fixed-length values such as digests and
    /// MAC tags, which is what this is for. The contents are compared with
    /// `CRYPTO_memcmp`, which always reads every byte.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }
}
