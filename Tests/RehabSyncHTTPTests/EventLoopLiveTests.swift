#if canImport(Glibc)
import Glibc
#endif
import Dispatch
@testable import RehabSyncHTTP
import Testing

/// The behaviour that needs the kernel: many sockets at once, clients that stop reading.
struct EventLoopLiveTests {
    @Test func aThousandIdleAndAHundredSlowLorisConnectionsDoNotDelayANewClient() throws {
        let (server, port) = try startServer({
            $0.idleTimeout = .seconds(60)
            $0.headerTimeout = .seconds(60)
            $0.readTimeout = .seconds(60)
            $0.requestTimeout = .seconds(60)
        }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let idle = try (0..<1_000).map { _ in try TestClient(port: port) }
        let slowLoris = try (0..<100).map { index in
            let client = try TestClient(port: port)
            try client.send("GET /loris-\(index) HTTP/1.1\r\nHost: a\r\nX-Drip: ")
            return client
        }
        for client in slowLoris { try client.send("x") }
        #expect(waitUntil(timeout: .seconds(10)) { server.statistics.snapshot().openConnections == 1_100 })

        let clock = ContinuousClock()
        let started = clock.now
        let client = try TestClient(port: port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.text == "GET /healthz ")
        #expect(clock.now - started < .seconds(1))
        #expect(idle.count + slowLoris.count == 1_100)
    }

    @Test func aClientThatStopsReadingALargeResponseIsCutAtItsSendDeadlineAndItsBufferReleased() throws {
        let body = [UInt8](repeating: UInt8(ascii: "p"), count: 32 * 1_048_576)
        let (server, port) = try startServer({
            $0.writeTimeout = .milliseconds(300)
            $0.minimumSendBytesPerSecond = 1_073_741_824
        }) { _ in HTTPResponse(body: body) }
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let stalled = try TestClient(port: port, receiveBufferBytes: 4_096)
        try stalled.send("GET /pull HTTP/1.1\r\nHost: a\r\n\r\n")
        // While it is held, the unsent part of the response is accounted to the connection.
        #expect(waitUntil { server.statistics.snapshot().bufferedResponseBytes > 1_048_576 })
        #expect(waitUntil(timeout: .seconds(3)) { server.statistics.snapshot().rejections["send_timeout"] == 1 })
        #expect(waitUntil { server.statistics.snapshot().openConnections == 0 })
        #expect(server.statistics.snapshot().bufferedResponseBytes == 0)

        // Others were served meanwhile and still are.
        let other = try TestClient(port: port)
        try other.send("HEAD /pull HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try other.readResponse(bodyless: true).headers["content-length"] == String(body.count))
    }

    @Test func connectionsBeyondTheLimitAreAnswered503WithRetryAfterAtOnce() throws {
        let (server, port) = try startServer({
            $0.maxConnections = 2
            $0.idleTimeout = .seconds(30)
        }, handler: echoHandler)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let held = try (0..<2).map { _ in try TestClient(port: port) }
        #expect(waitUntil { server.statistics.snapshot().openConnections == 2 })
        let refused = try TestClient(port: port)
        let response = try refused.readResponse()
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "1")
        #expect(response.text.contains(#""code":"max_connections""#))
        #expect(server.statistics.snapshot().refused["max_connections"] == 1)
        try held[0].send("GET /still HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try held[0].readResponse().text == "GET /still ")
    }

    @Test func theNonBlockingHandlerAnswersOnTheLoopWhileEveryWorkerIsBusy() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let server = HTTPServer(configuration: testConfiguration { $0.workerCount = 1 },
                                logger: Logger(label: "test", minimumLevel: .critical),
                                nonBlockingHandler: { request in
                                    request.path == "/fast" ? HTTPResponse(body: Array("loop".utf8)) : nil
                                }) { _ in
            entered.signal()
            _ = release.wait(timeout: .now() + .seconds(5))
            return HTTPResponse(body: Array("worker".utf8))
        }
        try server.start()
        let port = try #require(server.boundPort)
        defer {
            release.signal()
            server.shutdown(gracePeriod: .seconds(1))
        }
        let busy = try TestClient(port: port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(wait(entered))
        let fast = try TestClient(port: port)
        try fast.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try fast.readResponse().text == "loop")
        release.signal()
        #expect(try busy.readResponse().text == "worker")
    }

    @Test func writesThatHoldTheirWorkersLeaveTheReservedOnesToReads() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let (server, port) = try startServer({
            $0.workerCount = 3
            $0.workersReservedForReads = 2
        }) { request in
            if request.method == "POST" {
                entered.signal()
                _ = release.wait(timeout: .now() + .seconds(5))
            }
            return HTTPResponse(body: Array("\(request.method) \(request.path)".utf8))
        }
        defer {
            for _ in 0..<4 { release.signal() }
            server.shutdown(gracePeriod: .seconds(1))
        }
        let first = try TestClient(port: port)
        try first.send("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(wait(entered))
        let second = try TestClient(port: port)
        try second.send("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(waitUntil { server.statistics.snapshot().queuedRequests == 1 })
        // Two workers are idle, but only one may run a write: the second POST stays queued
        // while a read is served at once.
        let reader = try TestClient(port: port)
        try reader.send("GET /c HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try reader.readResponse().text == "GET /c")
        #expect(waitUntil { server.statistics.snapshot().queuedRequests == 1 })
        release.signal()
        #expect(try first.readResponse().text == "POST /a")
        #expect(wait(entered))
        release.signal()
        #expect(try second.readResponse().text == "POST /b")
    }

    @Test func twoLoopsShareTheConnectionsKeepAlivePipeliningAndShutdown() throws {
        let (server, port) = try startServer({ $0.eventLoopCount = 2 }, handler: echoHandler)
        let clients = try (0..<16).map { _ in try TestClient(port: port) }
        for (index, client) in clients.enumerated() {
            try client.send("GET /\(index)/a HTTP/1.1\r\nHost: a\r\n\r\nGET /\(index)/b HTTP/1.1\r\nHost: a\r\n\r\n")
        }
        for (index, client) in clients.enumerated() {
            #expect(try client.readResponse().text == "GET /\(index)/a ")
            #expect(try client.readResponse().text == "GET /\(index)/b ")
        }
        #expect(server.statistics.snapshot().openConnections == 16)
        server.shutdown(gracePeriod: .seconds(1))
        #expect(server.state == .stopped)
        #expect(clients.allSatisfy { $0.isClosedByServer() })
        #expect(connectionIsRefused(port: port))
    }
}
