/// An HTTP answer: status, headers (names lowercased) and body.
public struct HTTPClientResponse: Sendable, Hashable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Seconds from a `Retry-After` header given in seconds, if any.
    public var retryAfterSeconds: Int? {
        headers["retry-after"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
