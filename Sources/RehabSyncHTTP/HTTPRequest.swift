/// A complete request as handlers see it: the head, the whole body, and the identity the
/// server gave it.
public struct HTTPRequest: Sendable, Hashable {
    /// The method token, case-sensitive (`GET`).
    public var method: String
    /// The request target exactly as received.
    public var target: String
    /// The path without the query, not percent-decoded; see ``HTTPRequestHead/path``.
    public var path: String
    /// Query parameters, percent-decoded with `+` as space; for a repeated name the last wins.
    public var queryParameters: [String: String]
    /// The query as received, or nil if the target has no `?`.
    public var rawQuery: String?
    /// The protocol version of the request line.
    public var version: HTTPVersion
    /// The header fields in order, looked up case-insensitively.
    public var headers: HTTPHeaders
    /// The body with any chunked framing removed; empty when there is none.
    public var body: [UInt8]
    /// The id every log line about this request carries and the response echoes in
    /// `X-Request-Id`. Set by the server; empty in requests straight out of the parser.
    public var requestID: String
    /// The peer's address as `ip:port` (`[ip]:port` for IPv6). Set by the server; empty in
    /// requests straight out of the parser.
    public var remoteAddress: String

    /// Creates a request in-process, for tests and internal callers.
    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        requestID: String = "",
        remoteAddress: String = ""
    ) {
        self.init(head: HTTPRequestHead(method: method, target: target, version: version, headers: headers),
                  body: body, requestID: requestID, remoteAddress: remoteAddress)
    }

    /// Creates a request from a parsed head and its body.
    public init(head: HTTPRequestHead, body: [UInt8], requestID: String = "", remoteAddress: String = "") {
        self.method = head.method
        self.target = head.target
        self.path = head.path
        self.queryParameters = head.queryParameters
        self.rawQuery = head.rawQuery
        self.version = head.version
        self.headers = head.headers
        self.body = body
        self.requestID = requestID
        self.remoteAddress = remoteAddress
    }

    /// Whether the client wants the connection kept open; see ``HTTPRequestHead/wantsKeepAlive``.
    public var wantsKeepAlive: Bool {
        HTTPRequestHead.wantsKeepAlive(version: version, headers: headers)
    }
}
