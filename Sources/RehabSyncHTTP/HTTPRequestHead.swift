/// The request line and header section of a request, available before its body arrives
/// (so the server can answer `Expect: 100-continue` first).
public struct HTTPRequestHead: Sendable, Hashable {
    /// The method token, case-sensitive as RFC 9110 §9.1 requires (`GET`, not `get`).
    public var method: String
    /// The request target exactly as received.
    public var target: String
    /// The target's path without the query, not percent-decoded (`%2F` stays distinct
    /// from `/`); `/` for an absolute-form target without a path, `*` for `OPTIONS *`.
    public var path: String
    /// The query as received (after the first `?`), or nil if the target has no `?`.
    public var rawQuery: String?
    /// Query parameters, percent-decoded with `+` as space; for a repeated name the last wins.
    public var queryParameters: [String: String]
    /// The protocol version of the request line.
    public var version: HTTPVersion
    /// The header fields, in order.
    public var headers: HTTPHeaders
    /// The declared Content-Length, if the body is framed by one.
    public var contentLength: Int?
    /// Whether the body uses chunked transfer coding.
    public var isChunked: Bool

    /// Creates a head in-process; the target is split into path and query leniently.
    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        contentLength: Int? = nil,
        isChunked: Bool = false
    ) {
        self.init(method: method, target: target, parsedTarget: .lenient(target), version: version,
                  headers: headers, contentLength: contentLength, isChunked: isChunked)
    }

    init(
        method: String, target: String, parsedTarget: RequestTarget, version: HTTPVersion,
        headers: HTTPHeaders, contentLength: Int?, isChunked: Bool
    ) {
        self.method = method
        self.target = target
        self.path = parsedTarget.path
        self.rawQuery = parsedTarget.rawQuery
        self.queryParameters = parsedTarget.queryParameters
        self.version = version
        self.headers = headers
        self.contentLength = contentLength
        self.isChunked = isChunked
    }

    /// Whether the client wants the connection kept open after this request (RFC 9112
    /// §9.3): HTTP/1.1 unless it says `Connection: close`; HTTP/1.0 only if it says
    /// `Connection: keep-alive`.
    public var wantsKeepAlive: Bool { Self.wantsKeepAlive(version: version, headers: headers) }

    static func wantsKeepAlive(version: HTTPVersion, headers: HTTPHeaders) -> Bool {
        switch version {
        case .http1_1: !headers.containsToken("close", in: "Connection")
        case .http1_0: headers.containsToken("keep-alive", in: "Connection")
                && !headers.containsToken("close", in: "Connection")
        }
    }

    /// Whether the server should send `100 Continue` before reading the body: the client
    /// asked for it, speaks HTTP/1.1 (RFC 9110 §10.1.1 says to ignore the expectation in
    /// HTTP/1.0 requests), and there is a body to wait for.
    public var expectsContinue: Bool {
        guard version == .http1_1, isChunked || (contentLength ?? 0) > 0,
            let expect = headers["Expect"]
        else { return false }
        return HTTPHeaders.namesEqual(expect.trimmingOWS(), "100-continue")
    }
}
