#if canImport(Glibc)
import Glibc
#endif
import Dispatch
@testable import RehabSyncHTTP
import Testing

struct HTTPServerTests {
    @Test func answersAGET() throws {
        let capture = LogCapture()
        let (server, port) = try startServer(logger: Logger(label: "test", sink: capture.sink)) { request in
            .json(bytes: Array(#"{"path":"\#(request.path)","id":"\#(request.queryParameters["id"] ?? "")"}"#.utf8))
        }
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET /records?id=secret-7 HTTP/1.1\r\nHost: test\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == #"{"path":"/records","id":"secret-7"}"#)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["date"]?.hasSuffix("GMT") == true)
        let requestID = try #require(response.headers["x-request-id"])
        #expect(requestID.count == 16)
        // The access line is written after the response is sent, so it may trail it.
        let access = try #require(capture.waitForLine { $0.contains(" request ") })
        #expect(access.contains("method=GET path=/records status=200 bytes=35 duration_ms="))
        #expect(access.contains("request_id=\(requestID)"))
        #expect(!access.contains("secret-7"))
    }

    @Test func servesTwoRequestsOnOneKeptAliveConnection() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET /one HTTP/1.1\r\nHost: a\r\nX-Request-Id: clinic-7.req_1\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.text == "GET /one ")
        #expect(first.headers["connection"] == nil)
        #expect(first.headers["x-request-id"] == "clinic-7.req_1")
        try client.send("GET /two HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().text == "GET /two ")
    }

    @Test func answersPipelinedRequestsInOrder() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
            + "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(try client.readResponse().text == "GET /a ")
        #expect(try client.readResponse().text == "POST /b hi")
        let last = try client.readResponse()
        #expect(last.text == "GET /c ")
        #expect(last.headers["connection"] == "close")
        #expect(client.isClosedByServer())
    }

    @Test func echoesAChunkedPOST() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        try client.send("5;ext=1\r\nhello\r\n")
        try client.send("7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "POST /echo hello, world")
    }

    @Test func sends100ContinueBeforeReadingTheBody() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("PUT /doc HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("hello")
        let final = try client.readResponse()
        #expect(final.status == 200)
        #expect(final.text == "PUT /doc hello")
    }

    @Test func answers413WithoutContinueWhenTheDeclaredBodyIsTooLarge() throws {
        let (server, port) = try startServer({ $0.limits.maxBodyBytes = 1024 }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("PUT /doc HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.headers["connection"] == "close")
        #expect(client.isClosedByServer())
    }

    @Test func answersAMalformedRequestWith400AndCloses() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\nHost: a\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.headers["connection"] == "close")
        #expect(response.text.contains(#""code":"bare_line_ending""#))
        #expect(response.headers["x-request-id"]?.count == 16)
        #expect(client.isClosedByServer())
        #expect(server.statistics.snapshot().rejections == ["bare_line_ending": 1])
    }

    @Test func answersOversizedHeadersWith431() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "x", count: 17 * 1024))\r\n\r\n")
        #expect(try client.readResponse().status == 431)
        #expect(client.isClosedByServer())
    }

    @Test func answersAnOversizedBodyWith413() throws {
        let (server, port) = try startServer({ $0.limits.maxBodyBytes = 1024 }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "b", count: 5000))
        #expect(try client.readResponse().status == 413)
        #expect(client.isClosedByServer())
        let chunked = try TestClient(port: port)
        try chunked.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"
            + String(repeating: "c", count: 1024) + "\r\n1\r\nd\r\n0\r\n\r\n")
        #expect(try chunked.readResponse().status == 413)
    }

    @Test func closesStalledClientsAfterTheRequestTimeoutWithoutStarvingOthers() throws {
        let (server, port) = try startServer({
            $0.workerCount = 2
            $0.requestTimeout = .milliseconds(300)
            $0.readTimeout = .milliseconds(300)
        }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let stalled = try (0..<3).map { _ in
            let client = try TestClient(port: port)
            try client.send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
            return client
        }
        let patient = try TestClient(port: port)
        try patient.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try patient.readResponse().text == "GET /fast ")
        for client in stalled {
            let response = try client.readResponse()
            // Within the client's 10 s receive timeout, far beyond the request timeout: the
            // answer is the server's own 408, not the client giving up.
            #expect(response.status == 408)
            #expect(client.isClosedByServer())
        }
    }

    @Test func closesAnIdleKeepAliveConnectionAfterTheIdleTimeout() throws {
        let (server, port) = try startServer({ $0.idleTimeout = .milliseconds(300) }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(client.isClosedByServer())
        #expect(clock.now - start >= .milliseconds(250))
    }

    @Test func closesAfterTheMaximumRequestsPerConnection() throws {
        let (server, port) = try startServer({ $0.maxRequestsPerConnection = 2 }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().headers["connection"] == nil)
        try client.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().headers["connection"] == "close")
        #expect(client.isClosedByServer())
    }

    @Test func keepsHTTP10ConnectionsOpenOnlyWhenAsked() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let plain = try TestClient(port: port)
        try plain.send("GET / HTTP/1.0\r\n\r\n")
        #expect(try plain.readResponse().headers["connection"] == "close")
        #expect(plain.isClosedByServer())
        let kept = try TestClient(port: port)
        try kept.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().headers["connection"] == "keep-alive")
        try kept.send("GET /b HTTP/1.0\r\n\r\n")
        #expect(try kept.readResponse().text == "GET /b ")
    }

    @Test func answersHEADWithoutABody() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n")
        // The HEAD response declares 8 bytes but carries none, so the reader must not
        // consume the next response as its body: read the raw head instead.
        let head = try client.readResponse(bodyless: true)
        #expect(head.headers["content-length"] == "8")
        #expect(try client.readResponse().text == "GET /y ")
    }

    @Test func turnsThrownErrorsIntoResponsesWithoutLeakingTheirText() throws {
        let (server, port) = try startServer { request in
            if request.path == "/missing" { throw NotFound() }
            throw SecretError()
        }
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let client = try TestClient(port: port)
        try client.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        let notFound = try client.readResponse()
        #expect(notFound.status == 404)
        #expect(notFound.text.contains(#""code":"not_found""#))
        try client.send("GET /boom HTTP/1.1\r\nHost: a\r\nX-Request-Id: trace-1\r\n\r\n")
        let failure = try client.readResponse()
        #expect(failure.status == 500)
        #expect(failure.text.contains("trace-1"))
        #expect(!failure.text.contains("19121212"))
    }

    @Test func answers503WithRetryAfterWhenTheRequestQueueIsFull() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let (server, port) = try startServer({
            $0.workerCount = 1
            $0.queueCapacity = 1
            // The idle connection must outlive the test on a loaded machine.
            $0.idleTimeout = .seconds(10)
        }) { request in
            entered.signal()
            _ = release.wait(timeout: .now() + .seconds(5))
            return HTTPResponse(body: Array("done \(request.path)".utf8))
        }
        defer {
            release.signal()
            release.signal()
            server.shutdown(gracePeriod: .seconds(1))
        }
        // Connections cost no worker: an idle one waits without taking the queue's place.
        let idle = try TestClient(port: port)
        let busy = try TestClient(port: port)
        try busy.send("GET /busy HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(wait(entered))
        let queued = try TestClient(port: port)
        try queued.send("GET /queued HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(waitUntil { server.statistics.snapshot().queuedRequests == 1 })
        let refused = try TestClient(port: port)
        try refused.send("GET /refused HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try refused.readResponse()
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "1")
        #expect(response.text.contains(#""code":"server_busy""#))
        #expect(refused.isClosedByServer())
        #expect(server.statistics.snapshot().refused["server_busy"] == 1)
        #expect(server.statistics.snapshot().serviceUnavailableResponses == 1)

        release.signal()
        #expect(try busy.readResponse().text == "done /busy")
        #expect(wait(entered))
        release.signal()
        #expect(try queued.readResponse().text == "done /queued")
        try idle.send("GET /idle HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(wait(entered))
        release.signal()
        #expect(try idle.readResponse().text == "done /idle")
    }

    @Test func shutsDownGracefullyLettingAnInFlightRequestFinish() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let (server, port) = try startServer { _ in
            entered.signal()
            _ = release.wait(timeout: .now() + .seconds(120))
            return HTTPResponse(body: Array("finished".utf8))
        }
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(wait(entered))

        // The grace period and the handler's hold are long, so that on a busy machine the
        // request is still in the handler for as long as the checks below may take.
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.shutdown(gracePeriod: .seconds(120))
            stopped.signal()
        }
        // New connections are refused while the request is still in the handler.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var refused = false
        while !refused && clock.now < deadline {
            refused = connectionIsRefused(port: port)
            if !refused { usleepMilliseconds(10) }
        }
        #expect(refused)
        #expect(server.state == .shuttingDown)

        release.signal()
        let response = try client.readResponse()
        #expect(response.text == "finished")
        #expect(response.headers["connection"] == "close")
        #expect(wait(stopped, timeout: .seconds(30)))
        #expect(server.state == .stopped)
        #expect(connectionIsRefused(port: port))
    }

    @Test func shutdownClosesIdleConnectionsAtOnce() throws {
        let (server, port) = try startServer({ $0.idleTimeout = .seconds(120) }, handler: echoHandler)
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        // With a grace period and an idle timeout of two minutes, a shutdown done within
        // the 30 s deadline cannot have waited for either.
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.shutdown(gracePeriod: .seconds(120))
            stopped.signal()
        }
        #expect(wait(stopped, timeout: .seconds(30)))
        #expect(client.isClosedByServer())
    }

    @Test func shutdownCutsConnectionsWhenTheGracePeriodEnds() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let (server, port) = try startServer { _ in
            entered.signal()
            _ = release.wait(timeout: .now() + .seconds(120))
            return HTTPResponse()
        }
        defer { release.signal() }
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(wait(entered))
        // The handler holds its request for two minutes; a shutdown done within the 30 s
        // deadline cut it off when the 200 ms grace period ended.
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.shutdown(gracePeriod: .milliseconds(200))
            stopped.signal()
        }
        #expect(wait(stopped, timeout: .seconds(30)))
        #expect(server.state == .stopped)
        #expect(client.isClosedByServer())
    }

    @Test func refusesToStartTwiceAndShutsDownIdempotently() throws {
        let (server, _) = try startServer(handler: echoHandler)
        #expect(server.state == .running)
        #expect(throws: HTTPServerError.notIdle) { try server.start() }
        server.shutdown(gracePeriod: .seconds(1))
        server.shutdown(gracePeriod: .seconds(1))
        server.waitUntilStopped()
        #expect(server.state == .stopped)

        let neverStarted = HTTPServer(configuration: testConfiguration(), handler: echoHandler)
        neverStarted.shutdown(gracePeriod: .seconds(1))
        neverStarted.waitUntilStopped()
        #expect(neverStarted.state == .stopped)
    }

    @Test func reportsABindFailureWithErrnoAndTheAddress() throws {
        let (server, port) = try startServer(handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let second = HTTPServer(configuration: testConfiguration { $0.port = port }, handler: echoHandler)
        let error = #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(error == HTTPServerError.systemCall("bind 127.0.0.1:\(port)", errno: EADDRINUSE))
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        #expect(second.state == .idle)
    }
}
