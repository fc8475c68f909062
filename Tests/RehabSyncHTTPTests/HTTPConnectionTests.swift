@testable import RehabSyncHTTP
import Testing

/// The connection state machine driven without sockets: bytes, answers, writes and
/// deadlines go in by hand, as the event loop would feed them.
struct HTTPConnectionTests {
    let start = ContinuousClock.now

    func moment(_ offset: Duration = .zero) -> HTTPConnection.Moment {
        HTTPConnection.Moment(now: start + offset, httpDate: nil)
    }

    func connection(_ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) -> HTTPConnection {
        HTTPConnection(configuration: testConfiguration(adjust), remoteAddress: "127.0.0.1:1", at: start)
    }

    /// Everything pending, as the socket would receive it, marked written.
    func drain(_ connection: inout HTTPConnection, at offset: Duration = .zero) -> String {
        var text = ""
        while let chunk = connection.withPendingOutput({ Array($0) }) {
            text += String(decoding: chunk, as: UTF8.self)
            connection.wrote(chunk.count, at: moment(offset))
        }
        return text
    }

    func dispatched(_ effects: [HTTPConnection.Effect]) -> [HTTPRequest] {
        effects.compactMap { if case .dispatch(let request) = $0 { request } else { nil } }
    }

    @Test func anIdleConnectionClosesSilentlyAtItsIdleDeadline() {
        var connection = connection { $0.idleTimeout = .seconds(5) }
        #expect(connection.phase == .idle)
        #expect(connection.deadlineKind == .idle)
        #expect(connection.deadline == start + .seconds(5))
        connection.deadlinePassed(at: moment(.seconds(4)))
        #expect(connection.phase == .idle)
        connection.deadlinePassed(at: moment(.seconds(5)))
        #expect(connection.isClosed)
        #expect(!connection.wantsWrite)
    }

    @Test func aRequestDrippedByteByByteIsDispatchedOnceAndReadingStopsUntilItIsAnswered() {
        var connection = connection()
        let request = Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var requests: [HTTPRequest] = []
        for (index, byte) in request.enumerated() {
            connection.received([byte], at: moment(.milliseconds(index)))
            requests += dispatched(connection.takeEffects())
        }
        #expect(requests.map(\.path) == ["/a"])
        #expect(requests.first?.remoteAddress == "127.0.0.1:1")
        #expect(connection.phase == .awaitingHandler)
        #expect(!connection.wantsRead)
        #expect(connection.deadline == nil)

        connection.handlerAnswered(HTTPResponse(body: Array("hi".utf8)), at: moment(.seconds(1)))
        let written = drain(&connection, at: .seconds(1))
        #expect(written.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(written.hasSuffix("\r\n\r\nhi"))
        #expect(connection.phase == .idle)
        #expect(connection.wantsRead)
        let access = connection.takeEffects().compactMap { if case .access(let access) = $0 { access } else { nil } }
        #expect(access.map(\.status) == [.ok])
    }

    @Test func pipelinedRequestsWaitInTheBufferUntilTheFirstIsWritten() {
        var connection = connection()
        connection.received(Array("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), at: moment())
        #expect(dispatched(connection.takeEffects()).map(\.path) == ["/1"])
        connection.handlerAnswered(HTTPResponse(), at: moment())
        #expect(dispatched(connection.takeEffects()).isEmpty)
        _ = drain(&connection)
        #expect(dispatched(connection.takeEffects()).map(\.path) == ["/2"])
    }

    @Test func aHeaderThatDoesNotArriveInTimeIsAnswered408AndTheConnectionLingersThenCloses() {
        var connection = connection {
            $0.headerTimeout = .seconds(2)
            $0.requestTimeout = .seconds(30)
        }
        connection.received(Array("GET / HTTP/1.1\r\nHo".utf8), at: moment())
        #expect(connection.deadlineKind == .header)
        #expect(connection.deadline == start + .seconds(1))  // the read gap of the test configuration
        connection.received(Array("s".utf8), at: moment(.milliseconds(900)))
        #expect(connection.deadline == start + .milliseconds(1_900))
        connection.deadlinePassed(at: moment(.milliseconds(1_900)))
        let effects = connection.takeEffects()
        #expect(effects.contains { if case .rejected("header_timeout") = $0 { true } else { false } })
        let written = drain(&connection, at: .seconds(2))
        #expect(written.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(written.contains("Connection: close\r\n"))
        #expect(connection.takeEffects().contains { if case .shutDownWriting = $0 { true } else { false } })
        #expect(connection.phase == .lingering)
        connection.deadlinePassed(at: moment(.seconds(3)))
        #expect(connection.isClosed)
    }

    @Test func aClientReadingBelowTheFloorIsCutAtItsSendDeadline() throws {
        var connection = connection {
            $0.writeTimeout = .seconds(1)
            $0.minimumSendBytesPerSecond = 100_000
        }
        connection.received(Array("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".utf8), at: moment())
        _ = connection.takeEffects()
        connection.handlerAnswered(HTTPResponse(body: [UInt8](repeating: 7, count: 1_000_000)), at: moment())
        #expect(connection.deadlineKind == .send)
        // Progress keeps it alive up to writeTimeout + size / floor = 11 s, and no longer.
        for second in 1...10 {
            connection.wrote(1_000, at: moment(.seconds(second)))
            let deadline = try #require(connection.deadline)
            connection.deadlinePassed(at: moment(.seconds(second) + .milliseconds(500)))
            #expect(!connection.isClosed)
            #expect(deadline <= start + .seconds(11))
        }
        connection.deadlinePassed(at: moment(.seconds(11)))
        #expect(connection.isClosed)
        #expect(connection.pendingOutputBytes == 0)
        let effects = connection.takeEffects()
        #expect(effects.contains { if case .rejected("send_timeout") = $0 { true } else { false } })
        #expect(effects.contains { if case .access(let access) = $0 { access.reason == "send_timeout" } else { false } })
    }

    @Test func aLargeBodyIsQueuedWithoutBeingCopiedBehindTheHead() {
        var connection = connection()
        connection.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), at: moment())
        _ = connection.takeEffects()
        let body = [UInt8](repeating: 1, count: HTTPConnection.coalescedBodyBytes + 1)
        connection.handlerAnswered(HTTPResponse(body: body), at: moment())
        let firstChunk = connection.withPendingOutput { $0.count } ?? 0
        #expect(firstChunk < 200)
        #expect(connection.pendingOutputBytes == firstChunk + body.count)
    }

    @Test func aHEADAnswerCarriesTheLengthButNoBody() {
        var connection = connection()
        connection.received(Array("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n".utf8), at: moment())
        _ = connection.takeEffects()
        connection.handlerAnswered(HTTPResponse(body: Array("12345".utf8)), at: moment())
        let written = drain(&connection)
        #expect(written.contains("Content-Length: 5\r\n"))
        #expect(written.hasSuffix("\r\n\r\n"))
    }

    @Test func shutdownClosesIdleConnectionsAndMarksTheAnswerInFlightClose() {
        var served = connection()
        served.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), at: moment())
        served.handlerAnswered(HTTPResponse(), at: moment())
        _ = drain(&served)
        served.beginShutdown()
        #expect(served.isClosed)

        var busy = connection()
        busy.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), at: moment())
        busy.beginShutdown()
        #expect(busy.phase == .awaitingHandler)
        busy.handlerAnswered(HTTPResponse(), at: moment())
        #expect(drain(&busy).contains("Connection: close\r\n"))

        var fresh = connection()
        fresh.beginShutdown()
        #expect(fresh.isClosed)

        var arriving = connection()
        arriving.received(Array("GET / HT".utf8), at: moment())
        arriving.beginShutdown()
        #expect(arriving.phase == .receiving)
    }

    @Test func aMalformedRequestIsRejectedByReasonAndNeverDispatched() {
        var connection = connection()
        connection.received(Array("GET / HTTP/1.1\nHost: x\r\n\r\n".utf8), at: moment())
        let effects = connection.takeEffects()
        #expect(dispatched(effects).isEmpty)
        #expect(effects.contains { if case .rejected("bare_line_ending") = $0 { true } else { false } })
        #expect(drain(&connection).hasPrefix("HTTP/1.1 400 "))
    }
}
