/// A value SQLite can store: one case per SQLite storage class.
///
/// Used for the convenient, array-based binding API and for reading a column whose type is
/// not known in advance. Hot paths can bind and read typed values directly on ``Statement``.
public enum SQLValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A 64-bit signed integer (storage class INTEGER).
    case integer(Int64)
    /// An IEEE 754 double (storage class REAL).
    case real(Double)
    /// UTF-8 text (storage class TEXT).
    case text(String)
    /// Raw bytes (storage class BLOB). An empty array is stored as a zero-length blob, not NULL.
    case blob([UInt8])
}
