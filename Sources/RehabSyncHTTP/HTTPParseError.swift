/// Why the parser refused a request. Every case knows its status code, and the
/// connection is closed after the error response because the framing can no longer be
/// trusted (RFC 9112 §9.6 lets a server close after an error).
public struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible, HTTPResponseError {
    /// The kinds of refusal; the raw value is the stable code in the JSON error body.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The request line is not `method SP request-target SP HTTP-version`.
        case invalidRequestLine = "invalid_request_line"
        /// The method is not a token.
        case invalidMethod = "invalid_method"
        /// The request target has a forbidden byte, a bad escape or an unsupported form.
        case invalidTarget = "invalid_target"
        /// The request line exceeds ``HTTPLimits/maxRequestLineBytes``.
        case requestLineTooLong = "request_line_too_long"
        /// A well-formed version other than HTTP/1.0 or HTTP/1.1.
        case unsupportedVersion = "unsupported_version"
        /// A line ended in LF without CR, or a CR was not followed by LF. Refused rather than
        /// tolerated (RFC 9112 §2.2 allows either) because lenient line endings are a
        /// classic source of request smuggling between proxies and servers.
        case bareLineEnding = "bare_line_ending"
        /// A header line starts with whitespace (obs-fold, RFC 9112 §5.2).
        case obsoleteLineFolding = "obsolete_line_folding"
        /// A field name is not a token, or whitespace precedes the colon (RFC 9112 §5.1).
        case invalidHeaderName = "invalid_header_name"
        /// A field line has no colon, or its value contains control characters.
        case invalidHeaderValue = "invalid_header_value"
        /// The header section exceeds ``HTTPLimits/maxHeaderBytes``.
        case headersTooLarge = "headers_too_large"
        /// More than ``HTTPLimits/maxHeaderCount`` field lines.
        case tooManyHeaders = "too_many_headers"
        /// An HTTP/1.1 request without Host, or any request with several (RFC 9112 §3.2).
        case invalidHost = "invalid_host"
        /// Content-Length is not a decimal number.
        case invalidContentLength = "invalid_content_length"
        /// Several Content-Length values that differ (RFC 9112 §6.3, item 5).
        case conflictingContentLength = "conflicting_content_length"
        /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.1 allows rejecting it; we
        /// do, since disagreeing framing is how requests are smuggled).
        case contentLengthWithTransferEncoding = "content_length_with_transfer_encoding"
        /// Transfer-Encoding in an HTTP/1.0 request, or `chunked` applied twice: faulty framing.
        case invalidTransferEncoding = "invalid_transfer_encoding"
        /// A transfer coding other than `chunked` (RFC 9112 §6.1: `501`).
        case unsupportedTransferEncoding = "unsupported_transfer_encoding"
        /// A chunk-size line that is not hex digits with optional extensions, or overflows.
        case invalidChunkSize = "invalid_chunk_size"
        /// A chunk-size line longer than ``HTTPLimits/maxChunkSizeLineBytes``.
        case chunkSizeLineTooLong = "chunk_size_line_too_long"
        /// Chunk data not followed by CRLF.
        case invalidChunkTerminator = "invalid_chunk_terminator"
        /// The trailer section exceeds ``HTTPLimits/maxTrailerBytes``.
        case trailersTooLarge = "trailers_too_large"
        /// The body exceeds ``HTTPLimits/maxBodyBytes``.
        case bodyTooLarge = "body_too_large"
    }

    /// What went wrong.
    public var code: Code

    /// Creates the error for `code`.
    public init(_ code: Code) {
        self.code = code
    }

    /// The status to answer with.
    public var status: HTTPStatus {
        switch code {
        case .requestLineTooLong: .uriTooLong
        case .unsupportedVersion: .httpVersionNotSupported
        case .headersTooLarge, .tooManyHeaders, .trailersTooLarge: .requestHeaderFieldsTooLarge
        case .unsupportedTransferEncoding: .notImplemented
        case .bodyTooLarge: .contentTooLarge
        case .invalidRequestLine, .invalidMethod, .invalidTarget, .bareLineEnding, .obsoleteLineFolding,
            .invalidHeaderName, .invalidHeaderValue, .invalidHost, .invalidContentLength,
            .conflictingContentLength, .contentLengthWithTransferEncoding, .invalidTransferEncoding,
            .invalidChunkSize, .chunkSizeLineTooLong, .invalidChunkTerminator:
            .badRequest
        }
    }

    /// A sentence for the client; never echoes request bytes.
    public var message: String {
        switch code {
        case .invalidRequestLine: "The request line is malformed."
        case .invalidMethod: "The method is not a valid token."
        case .invalidTarget: "The request target is malformed."
        case .requestLineTooLong: "The request line is too long."
        case .unsupportedVersion: "Only HTTP/1.0 and HTTP/1.1 are supported."
        case .bareLineEnding: "Lines must end with CRLF."
        case .obsoleteLineFolding: "Folded header lines are not accepted."
        case .invalidHeaderName: "A header field name is malformed."
        case .invalidHeaderValue: "A header field line is malformed."
        case .headersTooLarge: "The header section is too large."
        case .tooManyHeaders: "There are too many header fields."
        case .invalidHost: "The request must carry exactly one Host header field."
        case .invalidContentLength: "Content-Length is not a valid number."
        case .conflictingContentLength: "Content-Length values disagree."
        case .contentLengthWithTransferEncoding: "Content-Length and Transfer-Encoding must not both be sent."
        case .invalidTransferEncoding: "Transfer-Encoding is not valid for this request."
        case .unsupportedTransferEncoding: "Only the chunked transfer coding is supported."
        case .invalidChunkSize: "A chunk size is malformed."
        case .chunkSizeLineTooLong: "A chunk size line is too long."
        case .invalidChunkTerminator: "Chunk data must end with CRLF."
        case .trailersTooLarge: "The trailer section is too large."
        case .bodyTooLarge: "The request body is too large."
        }
    }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }

    /// The JSON error response for this refusal.
    public var response: HTTPResponse {
        .error(status: status, code: code.rawValue, message: message)
    }
}
