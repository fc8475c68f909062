/// The HTTP versions this server speaks. RFC 9112 §2.3: anything else is refused, with
/// `505` for a well-formed but unsupported version and `400` for garbage.
public enum HTTPVersion: String, Sendable, Hashable, CustomStringConvertible {
    case http1_0 = "HTTP/1.0"
    case http1_1 = "HTTP/1.1"

    public var description: String { rawValue }
}
