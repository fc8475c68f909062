/// A response as handlers produce it. The server adds the framing fields itself
/// (Content-Length, Connection, Date, X-Request-Id), so handlers cannot get them wrong.
public struct HTTPResponse: Sendable, Hashable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields from the handler. Content-Length, Transfer-Encoding, Date and
    /// X-Request-Id are replaced when serialising; `Connection: close` is honoured.
    public var headers: HTTPHeaders
    /// The whole body. Ignored for statuses that forbid content (1xx, 204, 304) and for
    /// answers to HEAD.
    public var body: [UInt8]

    /// Creates a response; with no arguments, an empty `200 OK`.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response carrying an already-encoded JSON document.
    public static func json(status: HTTPStatus = .ok, bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }

    /// The house error shape: `{"error":{"code":"...","message":"...","field":"..."|null}}`.
    ///
    /// - Parameters:
    ///   - code: a stable, machine-readable code such as `malformed_json`.
    ///   - message: a sentence for a person; it must not contain patient data.
    ///   - field: the path of the offending field, if one is to blame.
    public static func error(status: HTTPStatus, code: String, message: String, field: String? = nil) -> HTTPResponse {
        let fieldJSON = field.map(JSONString.quoted) ?? "null"
        let document = #"{"error":{"code":"# + JSONString.quoted(code) + #","message":"# + JSONString.quoted(message)
            + #","field":"# + fieldJSON + "}}"
        return .json(status: status, bytes: Array(document.utf8))
    }

    /// Whether the handler asked for the connection to be closed after this response.
    var requestsClose: Bool { headers.containsToken("close", in: "Connection") }

    /// Fields the server owns; a handler's copies are dropped so the framing is always ours.
    private static let serverOwnedFields = ["Content-Length", "Transfer-Encoding", "Connection", "Date", "X-Request-Id"]

    /// The bytes on the wire.
    ///
    /// - Parameters:
    ///   - requestID: echoed in `X-Request-Id` when not nil.
    ///   - close: adds `Connection: close`.
    ///   - keepAliveForHTTP10: adds `Connection: keep-alive`, which HTTP/1.0 clients need to
    ///     know the connection stays open.
    ///   - date: the `Date` field value, if any.
    ///   - includeBody: false for answers to HEAD, which keep the Content-Length of the body
    ///     they would have had (RFC 9110 §9.3.2).
    func serialized(
        requestID: String?, close: Bool, keepAliveForHTTP10: Bool = false, date: String? = nil, includeBody: Bool = true
    ) -> [UInt8] {
        var bytes = serializedHead(requestID: requestID, close: close, keepAliveForHTTP10: keepAliveForHTTP10, date: date)
        if includeBody && !status.forbidsContent {
            bytes.append(contentsOf: body)
        }
        return bytes
    }

    /// The status line and header section alone, with the Content-Length of ``body``; the
    /// event loop sends a large body from the response itself rather than from a copy.
    func serializedHead(requestID: String?, close: Bool, keepAliveForHTTP10: Bool = false, date: String? = nil) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(Self.sanitizedValue(status.reasonPhrase))\r\n"
        if let date {
            head += "Date: \(date)\r\n"
        }
        for field in headers
        where HTTPSyntax.isToken(field.name.utf8)
            && !Self.serverOwnedFields.contains(where: { HTTPHeaders.namesEqual($0, field.name) }) {
            head += "\(field.name): \(Self.sanitizedValue(field.value))\r\n"
        }
        if !status.forbidsContent {
            head += "Content-Length: \(body.count)\r\n"
        }
        if close {
            head += "Connection: close\r\n"
        } else if keepAliveForHTTP10 {
            head += "Connection: keep-alive\r\n"
        }
        if let requestID {
            head += "X-Request-Id: \(Self.sanitizedValue(requestID))\r\n"
        }
        head += "\r\n"
        return Array(head.utf8)
    }

    /// Replaces control characters with spaces: a CR or LF in a value taken from input
    /// would otherwise let a client inject header lines (response splitting).
    private static func sanitizedValue(_ value: String) -> String {
        guard !value.utf8.allSatisfy(HTTPSyntax.isFieldValueByte) else { return value }
        return String(decoding: value.utf8.map { HTTPSyntax.isFieldValueByte($0) ? $0 : HTTPSyntax.space }, as: UTF8.self)
    }
}
