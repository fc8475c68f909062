@testable import RehabSyncHTTP
import Testing

struct HTTPRequestParserTests {
    @Test(arguments: FeedMode.allCases)
    func parsesSimpleGET(mode: FeedMode) throws {
        let events = parseEvents(
            "GET /records?id=a%20b&x=1&x=2&flag&name=K%C3%A5re+Lund HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n",
            mode: mode)
        #expect(events.count == 2)
        let head = try #require(events.first.flatMap { if case .head(let head) = $0 { head } else { nil } })
        #expect(head.method == "GET")
        let request = try #require(requests(in: events).first)
        #expect(request.method == "GET")
        #expect(request.target == "/records?id=a%20b&x=1&x=2&flag&name=K%C3%A5re+Lund")
        #expect(request.path == "/records")
        #expect(request.rawQuery == "id=a%20b&x=1&x=2&flag&name=K%C3%A5re+Lund")
        #expect(request.queryParameters == ["id": "a b", "x": "2", "flag": "", "name": "Kåre Lund"])
        #expect(request.version == .http1_1)
        #expect(request.headers.fields.map(\.name) == ["Host", "Accept"])
        #expect(request.headers["host"] == "example")
        #expect(request.body.isEmpty)
        #expect(request.requestID.isEmpty && request.remoteAddress.isEmpty)
    }

    @Test(arguments: FeedMode.allCases)
    func parsesPOSTWithContentLength(mode: FeedMode) throws {
        let events = parseEvents(
            "POST /sync HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{\"a\":[1,2]}",
            mode: mode)
        let request = try #require(requests(in: events).first)
        #expect(request.method == "POST")
        #expect(String(decoding: request.body, as: UTF8.self) == "{\"a\":[1,2]}")
        guard case .head(let head) = events.first else {
            Issue.record("expected the head first")
            return
        }
        #expect(head.contentLength == 11)
        #expect(!head.isChunked)
    }

    @Test(arguments: FeedMode.allCases)
    func parsesChunkedBodyIgnoringExtensionsAndDiscardingTrailers(mode: FeedMode) throws {
        let text = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;other\r\nhello\r\n6 ; ext=\"quoted\"\r\n world\r\nA\r\n0123456789\r\n0\r\n"
            + "X-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        let events = parseEvents(text, mode: mode)
        let request = try #require(requests(in: events).first)
        #expect(String(decoding: request.body, as: UTF8.self) == "hello world0123456789")
        #expect(!request.headers.contains("X-Checksum"))
        #expect(request.headers["transfer-encoding"] == "chunked")
    }

    @Test(arguments: FeedMode.allCases)
    func parsesTwoPipelinedRequestsFromOneBuffer(mode: FeedMode) throws {
        let text = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "GET /b?q=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let events = parseEvents(text, mode: mode)
        #expect(events.count == 4)
        let parsed = requests(in: events)
        #expect(parsed.map(\.path) == ["/a", "/b"])
        #expect(parsed.map { String(decoding: $0.body, as: UTF8.self) } == ["abc", ""])
        #expect(parsed.map(\.wantsKeepAlive) == [true, false])
    }

    @Test(arguments: FeedMode.allCases)
    func skipsAnEmptyLineBeforeTheRequestLine(mode: FeedMode) {
        let events = parseEvents("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", mode: mode)
        #expect(requests(in: events).count == 1)
    }

    @Test(arguments: FeedMode.allCases)
    func acceptsRepeatedIdenticalContentLengths(mode: FeedMode) throws {
        let events = parseEvents(
            "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok", mode: mode)
        #expect(try #require(requests(in: events).first).body == Array("ok".utf8))
    }

    @Test func reportsTheHeadBeforeTheBodyArrives() {
        var parser = HTTPRequestParser()
        parser.feed(Array("POST /big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 33554432\r\n\r\n".utf8))
        guard case .head(let head) = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.expectsContinue)
        #expect(head.contentLength == 32 * 1024 * 1024)
        #expect(parser.next() == .needMoreData)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func acceptsAbsoluteFormAndAsteriskForm() throws {
        let absolute = try #require(requests(in: parseEvents(
            "GET http://clinic.example:8080/records/7?full=1 HTTP/1.1\r\nHost: clinic.example:8080\r\n\r\n",
            mode: .whole)).first)
        #expect(absolute.path == "/records/7")
        #expect(absolute.queryParameters == ["full": "1"])
        let asterisk = try #require(requests(in: parseEvents("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", mode: .whole)).first)
        #expect(asterisk.path == "*")
    }

    @Test func keepsThePathPercentEncoded() throws {
        let request = try #require(requests(in: parseEvents(
            "GET /a%2Fb/c HTTP/1.1\r\nHost: a\r\n\r\n", mode: .whole)).first)
        #expect(request.path == "/a%2Fb/c")
    }

    @Test func ignoresAFragmentInTheTargetAsNginxDoes() throws {
        let request = try #require(requests(in: parseEvents(
            "GET /v1/sync/pull?since=4#page-2 HTTP/1.1\r\nHost: a\r\n\r\n", mode: .whole)).first)
        #expect(request.path == "/v1/sync/pull")
        #expect(request.rawQuery == "since=4")
        #expect(request.queryParameters == ["since": "4"])
        let bare = try #require(requests(in: parseEvents("GET /healthz#top HTTP/1.1\r\nHost: a\r\n\r\n", mode: .byteByByte)).first)
        #expect(bare.path == "/healthz")
    }

    @Test func decidesKeepAliveByVersionAndConnectionHeader() throws {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
        ]
        for (text, expected) in cases {
            let request = try #require(requests(in: parseEvents(text, mode: .whole)).first)
            #expect(request.wantsKeepAlive == expected, "\(text)")
        }
    }

    @Test func acceptsARequestLineExactlyAtTheLimit() {
        let line = "GET /abcdefghij HTTP/1.1"  // 24 bytes
        let limits = HTTPLimits(maxRequestLineBytes: line.utf8.count)
        #expect(requests(in: parseEvents(line + "\r\nHost: a\r\n\r\n", mode: .byteByByte, limits: limits)).count == 1)
        let shorter = HTTPLimits(maxRequestLineBytes: line.utf8.count - 1)
        #expect(parseError(in: parseEvents(line + "\r\nHost: a\r\n\r\n", mode: .byteByByte, limits: shorter))?.status == 414)
    }

    @Test func staysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/1.1\nHost: a\r\n\r\n".utf8))
        #expect(parser.next() == .error(HTTPParseError(.bareLineEnding)))
        parser.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(parser.next() == .error(HTTPParseError(.bareLineEnding)))
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func refusesAnUnterminatedRequestLineAsSoonAsItExceedsTheLimit() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxRequestLineBytes: 16))
        parser.feed(Array("GET /0123456789".utf8))
        #expect(parser.next() == .needMoreData)
        parser.feed(Array("abc".utf8))
        #expect(parser.next() == .error(HTTPParseError(.requestLineTooLong)))
    }

    @Test func neverBuffersMoreThanTheHeaderLimitWithoutALineEnd() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxHeaderBytes: 64))
        parser.feed(Array("GET / HTTP/1.1\r\nX: ".utf8))
        #expect(parser.next() == .needMoreData)
        parser.feed([UInt8](repeating: UInt8(ascii: "a"), count: 100))
        #expect(parser.next() == .error(HTTPParseError(.headersTooLarge)))
    }

    @Test func everyParseErrorKnowsItsStatusAndRendersTheErrorShape() {
        for code in HTTPParseError.Code.allCases {
            let error = HTTPParseError(code)
            #expect([400, 413, 414, 431, 501, 505].contains(error.status.code))
            let body = String(decoding: error.response.body, as: UTF8.self)
            #expect(body == #"{"error":{"code":""# + code.rawValue + #"","message":""# + error.message + #"","field":null}}"#)
        }
    }
}
