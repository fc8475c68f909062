@testable import RehabSyncHTTP
import Testing

struct HTTPResponseTests {
    @Test func rendersTheErrorShapeWithNullField() {
        let response = HTTPResponse.error(status: .badRequest, code: "malformed_json", message: "Bad JSON.")
        #expect(response.status.code == 400)
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"error":{"code":"malformed_json","message":"Bad JSON.","field":null}}"#)
    }

    @Test func escapesQuotesBackslashesAndControlCharactersInErrors() {
        let response = HTTPResponse.error(
            status: .unprocessableContent, code: "wrong_type", message: "He said \"hi\"\\\n\t\u{01}å😀",
            field: "fields.title[0]")
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"error":{"code":"wrong_type","message":"He said \"hi\"\\\n\t\u0001å😀","field":"fields.title[0]"}}"#)
    }

    @Test func serialisesStatusLineFramingAndRequestID() {
        var response = HTTPResponse.json(status: .created, bytes: Array("{}".utf8))
        response.headers.add(name: "Content-Length", value: "999")
        response.headers.add(name: "X-Custom", value: "1")
        let text = String(decoding: response.serialized(requestID: "abc-1", close: true, date: "Fri, 31 Jan 2025 09:41:07 GMT"),
                          as: UTF8.self)
        #expect(text == "HTTP/1.1 201 Created\r\nDate: Fri, 31 Jan 2025 09:41:07 GMT\r\nContent-Type: application/json\r\n"
            + "X-Custom: 1\r\nContent-Length: 2\r\nConnection: close\r\nX-Request-Id: abc-1\r\n\r\n{}")
    }

    @Test func neutralisesLineBreaksInHeaderValues() {
        let response = HTTPResponse(status: .ok, headers: ["Location": "/a\r\nSet-Cookie: x=1"], body: [])
        let text = String(decoding: response.serialized(requestID: nil, close: false), as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nLocation: /a  Set-Cookie: x=1\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func omitsTheBodyForHEADButKeepsItsLength() {
        let response = HTTPResponse(status: .ok, body: Array("hello".utf8))
        let text = String(decoding: response.serialized(requestID: nil, close: false, includeBody: false), as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    @Test func sendsNoLengthOrBodyWithNoContent() {
        let response = HTTPResponse(status: .noContent, body: Array("ignored".utf8))
        let text = String(decoding: response.serialized(requestID: "r", close: false, keepAliveForHTTP10: true),
                          as: UTF8.self)
        #expect(text == "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\nX-Request-Id: r\r\n\r\n")
    }

    @Test func honoursConnectionCloseFromTheHandler() {
        #expect(HTTPResponse(headers: ["connection": "close"]).requestsClose)
        #expect(!HTTPResponse().requestsClose)
    }
}

struct HTTPHeadersTests {
    @Test func looksUpNamesCaseInsensitivelyAndKeepsOrder() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.add(name: "x-a", value: "2")
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers.values(for: "X-A") == ["1", "2"])
        #expect(headers.fields.map(\.name) == ["Content-Type", "X-A", "x-a"])
        headers.replaceOrAdd(name: "X-a", value: "3")
        #expect(headers.values(for: "x-A") == ["3"])
        headers.remove(name: "content-type")
        #expect(headers.count == 1)
    }

    @Test func describesNamesButNeverValues() {
        let headers: HTTPHeaders = ["Authorization": "Bearer secret"]
        #expect(!headers.description.contains("secret"))
    }
}

struct RequestIDTests {
    @Test func keepsASafeClientValue() {
        #expect(RequestID.make(clientValue: "clinic-7.sync_42") == "clinic-7.sync_42")
    }

    @Test(arguments: ["", "has space", "semi;colon", "åäö", String(repeating: "a", count: 65), "line\nbreak"])
    func replacesAnUnsafeClientValue(value: String) {
        let id = RequestID.make(clientValue: value)
        #expect(id != value)
        #expect(id.count == 16)
        #expect(id.allSatisfy { $0.isHexDigit })
    }

    @Test func generatesSixteenHexCharacters() {
        let ids = Set((0..<100).map { _ in RequestID.generate() })
        #expect(ids.count == 100)
        #expect(ids.allSatisfy { $0.count == 16 && $0.allSatisfy { c in c.isHexDigit } })
    }
}
