@testable import RehabSyncHTTP
import Testing

/// One malformed or oversized request and the refusal it must get.
struct Refusal: Sendable, CustomTestStringConvertible {
    var name: String
    var request: String
    var status: Int
    var code: HTTPParseError.Code
    var limits = HTTPLimits()

    var testDescription: String { name }
}

private let host = "Host: a\r\n"

let refusals: [Refusal] = [
    Refusal(name: "obs-fold", request: "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n  continued\r\n\r\n",
            status: 400, code: .obsoleteLineFolding),
    Refusal(name: "obs-fold with tab", request: "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n\tcontinued\r\n\r\n",
            status: 400, code: .obsoleteLineFolding),
    Refusal(name: "whitespace before the first field", request: "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
            status: 400, code: .obsoleteLineFolding),
    Refusal(name: "Content-Length with Transfer-Encoding",
            request: "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            status: 400, code: .contentLengthWithTransferEncoding),
    Refusal(name: "differing Content-Length lines",
            request: "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            status: 400, code: .conflictingContentLength),
    Refusal(name: "differing Content-Length list", request: "POST / HTTP/1.1\r\n\(host)Content-Length: 5, 6\r\n\r\nhello!",
            status: 400, code: .conflictingContentLength),
    Refusal(name: "non-numeric Content-Length", request: "POST / HTTP/1.1\r\n\(host)Content-Length: abc\r\n\r\n",
            status: 400, code: .invalidContentLength),
    Refusal(name: "signed Content-Length", request: "POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello",
            status: 400, code: .invalidContentLength),
    Refusal(name: "negative Content-Length", request: "POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n",
            status: 400, code: .invalidContentLength),
    Refusal(name: "gzip transfer coding", request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n",
            status: 501, code: .unsupportedTransferEncoding),
    Refusal(name: "gzip then chunked", request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n",
            status: 501, code: .unsupportedTransferEncoding),
    Refusal(name: "identity transfer coding", request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: identity\r\n\r\n",
            status: 501, code: .unsupportedTransferEncoding),
    Refusal(name: "chunked twice",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            status: 400, code: .invalidTransferEncoding),
    Refusal(name: "Transfer-Encoding in HTTP/1.0", request: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            status: 400, code: .invalidTransferEncoding),
    Refusal(name: "bare LF after the request line", request: "GET / HTTP/1.1\n\(host)\r\n",
            status: 400, code: .bareLineEnding),
    Refusal(name: "bare LF after a field", request: "GET / HTTP/1.1\r\nHost: a\n\r\n",
            status: 400, code: .bareLineEnding),
    Refusal(name: "bare CR inside a field value", request: "GET / HTTP/1.1\r\n\(host)X-A: 1\r2\r\n\r\n",
            status: 400, code: .bareLineEnding),
    Refusal(name: "bare LF in a chunk size line",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n",
            status: 400, code: .bareLineEnding),
    Refusal(name: "HTTP/2.0", request: "GET / HTTP/2.0\r\n\(host)\r\n", status: 505, code: .unsupportedVersion),
    Refusal(name: "HTTP/1.2", request: "GET / HTTP/1.2\r\n\(host)\r\n", status: 505, code: .unsupportedVersion),
    Refusal(name: "lowercase version", request: "GET / http/1.1\r\n\(host)\r\n", status: 400, code: .invalidRequestLine),
    Refusal(name: "trailing garbage after the version", request: "GET / HTTP/1.1x\r\n\(host)\r\n",
            status: 400, code: .invalidRequestLine),
    Refusal(name: "missing version", request: "GET /\r\n\(host)\r\n", status: 400, code: .invalidRequestLine),
    Refusal(name: "two spaces after the method", request: "GET  / HTTP/1.1\r\n\(host)\r\n",
            status: 400, code: .invalidRequestLine),
    Refusal(name: "method that is not a token", request: "G(T / HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidMethod),
    Refusal(name: "relative target", request: "GET records HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidTarget),
    Refusal(name: "bad percent escape", request: "GET /a%zz HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidTarget),
    Refusal(name: "only a fragment as target", request: "GET #b HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidTarget),
    Refusal(name: "bad escape before a fragment", request: "GET /a%zz#b HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidTarget),
    Refusal(name: "non-ASCII target", request: "GET /å HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidTarget),
    Refusal(name: "asterisk without OPTIONS", request: "GET * HTTP/1.1\r\n\(host)\r\n", status: 400, code: .invalidTarget),
    Refusal(name: "space before the colon", request: "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            status: 400, code: .invalidHeaderName),
    Refusal(name: "field name that is not a token", request: "GET / HTTP/1.1\r\n\(host)X(A): 1\r\n\r\n",
            status: 400, code: .invalidHeaderName),
    Refusal(name: "field line without a colon", request: "GET / HTTP/1.1\r\n\(host)NoColon\r\n\r\n",
            status: 400, code: .invalidHeaderValue),
    Refusal(name: "control character in a value", request: "GET / HTTP/1.1\r\n\(host)X-A: a\u{01}b\r\n\r\n",
            status: 400, code: .invalidHeaderValue),
    Refusal(name: "missing Host in HTTP/1.1", request: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
            status: 400, code: .invalidHost),
    Refusal(name: "two Host fields", request: "GET / HTTP/1.1\r\n\(host)\(host)\r\n", status: 400, code: .invalidHost),
    Refusal(name: "too many empty lines first", request: "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n",
            status: 400, code: .invalidRequestLine),
    Refusal(name: "request line over 8 KiB",
            request: "GET /\(String(repeating: "a", count: 8 * 1024)) HTTP/1.1\r\n\(host)\r\n",
            status: 414, code: .requestLineTooLong),
    Refusal(name: "one field over 16 KiB",
            request: "GET / HTTP/1.1\r\n\(host)X-Big: \(String(repeating: "b", count: 16 * 1024))\r\n\r\n",
            status: 431, code: .headersTooLarge),
    Refusal(name: "many fields over 16 KiB in total",
            request: "GET / HTTP/1.1\r\n\(host)"
                + (0..<40).map { "X-F\($0): \(String(repeating: "c", count: 500))\r\n" }.joined() + "\r\n",
            status: 431, code: .headersTooLarge),
    Refusal(name: "101 fields",
            request: "GET / HTTP/1.1\r\n\(host)" + (0..<100).map { "X-\($0): 1\r\n" }.joined() + "\r\n",
            status: 431, code: .tooManyHeaders),
    Refusal(name: "Content-Length over 32 MiB", request: "POST / HTTP/1.1\r\n\(host)Content-Length: 33554433\r\n\r\n",
            status: 413, code: .bodyTooLarge),
    Refusal(name: "Content-Length that overflows",
            request: "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999999\r\n\r\n",
            status: 413, code: .bodyTooLarge),
    Refusal(name: "chunks over the body limit",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n",
            status: 413, code: .bodyTooLarge, limits: HTTPLimits(maxBodyBytes: 10)),
    Refusal(name: "chunk size that overflows",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
            status: 413, code: .bodyTooLarge),
    Refusal(name: "chunk size line over the limit",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3;\(String(repeating: "e", count: 1100))\r\nabc\r\n0\r\n\r\n",
            status: 400, code: .chunkSizeLineTooLong),
    Refusal(name: "chunk size that is not hex",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            status: 400, code: .invalidChunkSize),
    Refusal(name: "chunk size followed by garbage",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n",
            status: 400, code: .invalidChunkSize),
    Refusal(name: "chunk data without CRLF",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
            status: 400, code: .invalidChunkTerminator),
    Refusal(name: "trailers over 4 KiB",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: \(String(repeating: "t", count: 4200))\r\n\r\n",
            status: 431, code: .trailersTooLarge),
    Refusal(name: "folded trailer",
            request: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n",
            status: 400, code: .obsoleteLineFolding),
]

struct HTTPRequestParserRefusalTests {
    @Test(arguments: refusals, FeedMode.allCases)
    func refusesWithTheExactStatus(refusal: Refusal, mode: FeedMode) {
        let events = parseEvents(refusal.request, mode: mode, limits: refusal.limits)
        let error = parseError(in: events)
        #expect(error?.code == refusal.code)
        #expect(error?.status.code == refusal.status)
        #expect(requests(in: events).isEmpty)
    }
}
