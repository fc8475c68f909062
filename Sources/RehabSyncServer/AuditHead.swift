/// The head of the access log as an operator writes it down outside the server:
/// `<entry id>:<seal>`, e.g. `42:9f86d0…`. Verifying against a head written down earlier
/// proves that nothing up to it was cut off, which the database alone cannot prove.
public struct AuditHead: Hashable, Sendable, CustomStringConvertible {
    /// The id of the last entry; 0 for an empty log.
    public let entry: Int64
    /// That entry's seal (64 hex digits).
    public let hash: String

    public init(entry: Int64, hash: String) {
        self.entry = entry
        self.hash = hash
    }

    /// Parses `<id>:<64 lowercase hex digits>`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let entry = Int64(parts[0]), entry >= 0, parts[0].utf8.allSatisfy({ (48...57).contains($0) }),
            parts[1].utf8.count == 64,
            parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        self.entry = entry
        hash = String(parts[1])
    }

    public var description: String { "\(entry):\(hash)" }
}
