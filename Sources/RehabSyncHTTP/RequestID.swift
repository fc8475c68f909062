/// Request ids: the client's own `X-Request-Id` when it is safe to echo and log, else a
/// fresh random one.
public enum RequestID {
    /// Longest client-supplied id accepted.
    public static let maximumLength = 64

    /// The client's id if it is 1–64 characters of `[A-Za-z0-9._-]`, so it can go into log
    /// lines and response headers unescaped; otherwise a new id from ``generate()``.
    public static func make(clientValue: String?) -> String {
        if let clientValue, isAcceptable(clientValue) { return clientValue }
        return generate()
    }

    /// Whether a client-supplied id may be used as is.
    public static func isAcceptable(_ value: String) -> Bool {
        let bytes = value.utf8
        return (1...maximumLength).contains(bytes.count) && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// 16 lowercase hex characters from the system's random number generator.
    public static func generate() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
