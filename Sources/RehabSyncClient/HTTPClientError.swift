/// A request that got no HTTP answer: the connection failed, timed out, or TLS refused
/// the peer. Carries libcurl's code and message so an IT department can look it up.
public struct HTTPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public let curlCode: Int
    public let message: String
    /// Whether trying again later may help (network trouble rather than a bad request).
    public let isTransient: Bool

    public init(curlCode: Int, message: String, isTransient: Bool) {
        self.curlCode = curlCode
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String { "HTTP request failed (curl \(curlCode)): \(message)" }
}
