#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves one connection on a worker thread: reads with deadlines, feeds the parser,
/// calls the handler, writes responses, and decides when to close.
struct ConnectionHandler: Sendable {
    let configuration: HTTPServerConfiguration
    let logger: Logger
    let handler: HTTPServer.Handler
    let registry: ConnectionRegistry

    /// Size of each `recv`; also the most a pipelining client can get buffered ahead.
    static let readChunkSize = 16 * 1024
    /// Most bytes discarded while lingering before close.
    static let maximumLingerBytes = 256 * 1024

    private enum Outcome {
        /// Wait for the next request on the same connection.
        case keepAlive
        /// Close now; nothing was sent that a reset could destroy.
        case close
        /// Close after a response the client must still read: linger first.
        case closeAfterResponse
    }

    private let clock = ContinuousClock()

    func serve(_ item: ConnectionQueue.Item) {
        let socket = item.socket
        registry.register(socket)
        defer {
            // Unregister before closing: see ConnectionRegistry on descriptor reuse.
            registry.unregister(socket)
            socket.close()
        }
        do {
            try socket.setTimeouts(receive: configuration.readTimeout, send: configuration.writeTimeout)
            try socket.setNoDelay()
        } catch {
            logger.debug("could not configure connection", [("error", error.description)])
            return
        }

        var parser = HTTPRequestParser(limits: configuration.limits)
        var readBuffer = [UInt8](repeating: 0, count: Self.readChunkSize)
        var served = 0
        while true {
            switch serveRequest(on: socket, remoteAddress: item.remoteAddress, parser: &parser,
                                readBuffer: &readBuffer, served: &served) {
            case .keepAlive:
                continue
            case .close:
                return
            case .closeAfterResponse:
                linger(socket)
                return
            }
        }
    }

    /// Reads, handles and answers one request (or refuses it).
    private func serveRequest(
        on socket: Socket, remoteAddress: String, parser: inout HTTPRequestParser,
        readBuffer: inout [UInt8], served: inout Int
    ) -> Outcome {
        var started: ContinuousClock.Instant?
        var requestID: String?
        var head: HTTPRequestHead?
        do throws(HTTPServerError) {
            while true {
                switch parser.next() {
                case .needMoreData:
                    if started == nil {
                        if parser.isIdle {
                            // Between requests: give the client idleTimeout to begin the next one.
                            // During shutdown a kept-alive connection closes at once; a new one
                            // still gets its first request served (it was accepted before the
                            // listener closed, and the grace period bounds the wait).
                            guard registry.markIdle(socket) || served == 0 else { return .close }
                            let readable = try socket.waitForReadable(timeout: configuration.idleTimeout)
                            registry.markBusy(socket)
                            guard readable else { return .close }
                        }
                        started = clock.now
                    }
                    // Safe because `started` was set just above if it was nil.
                    let deadline = started! + configuration.requestTimeout
                    let remaining = deadline - clock.now
                    guard remaining > .zero,
                        try socket.waitForReadable(timeout: min(remaining, configuration.readTimeout))
                    else { throw HTTPServerError.timedOut }
                    // Through Result because withUnsafeMutableBytes rethrows untyped errors.
                    let count = try readBuffer.withUnsafeMutableBytes { buffer in
                        Result { () throws(HTTPServerError) in try socket.receive(into: buffer) }
                    }.get()
                    if count == 0 {
                        if !parser.isIdle {
                            logger.debug("client closed mid-request",
                                         [("request_id", requestID ?? "-"), ("remote", remoteAddress)])
                        }
                        return .close
                    }
                    parser.feed(readBuffer[0..<count])

                case .head(let parsed):
                    head = parsed
                    requestID = RequestID.make(clientValue: parsed.headers["X-Request-Id"])
                    if parsed.expectsContinue {
                        // The limits already passed (an oversized Content-Length would have been
                        // an error instead of a head), so the client may send the body.
                        try write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), to: socket)
                    }

                case .complete(var request):
                    let id = requestID ?? RequestID.generate()
                    request.requestID = id
                    request.remoteAddress = remoteAddress
                    let response = invokeHandler(request)
                    served += 1
                    let keepAlive = request.wantsKeepAlive && !response.requestsClose
                        && served < configuration.maxRequestsPerConnection && !registry.isShuttingDown
                    let bytes = response.serialized(
                        requestID: id, close: !keepAlive,
                        keepAliveForHTTP10: keepAlive && request.version == .http1_0,
                        date: configuration.sendsDateHeader ? WallClock.httpDate() : nil,
                        includeBody: request.method != "HEAD")
                    try write(bytes, to: socket)
                    logAccess(method: request.method, path: request.path, status: response.status,
                              bytes: response.body.count, started: started, requestID: id)
                    return keepAlive ? .keepAlive : .closeAfterResponse

                case .error(let error):
                    let id = requestID ?? RequestID.generate()
                    respondAndLog(error.response, on: socket, head: head, started: started, requestID: id,
                                  reason: error.code.rawValue)
                    return .closeAfterResponse
                }
            }
        } catch .timedOut {
            if started == nil || parser.isIdle { return .close }
            let id = requestID ?? RequestID.generate()
            let response = HTTPResponse.error(
                status: .requestTimeout, code: "request_timeout", message: "The request was not received in time.")
            respondAndLog(response, on: socket, head: head, started: started, requestID: id, reason: "request_timeout")
            return .closeAfterResponse
        } catch {
            // The peer reset the connection or stopped reading; nobody is left to answer.
            logger.debug("connection failed", [("error", error.description), ("request_id", requestID ?? "-")])
            return .close
        }
    }

    /// Sends bytes. A send timeout is reported as a failed send rather than as
    /// ``HTTPServerError/timedOut``, which in this file means the *request* arrived too
    /// slowly and earns a `408`; a client that stops reading earns nothing but a close.
    private func write(_ bytes: [UInt8], to socket: Socket) throws(HTTPServerError) {
        do throws(HTTPServerError) {
            try socket.sendAll(bytes)
        } catch .timedOut {
            throw .systemCall("send", errno: EAGAIN)
        }
    }

    /// Runs the handler, turning thrown errors into responses. Unknown errors become a
    /// `500` naming only the request id: their text may hold internals or patient data.
    private func invokeHandler(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try handler(request)
        } catch let error as any HTTPResponseError {
            return error.response
        } catch {
            logger.error("handler failed", [("error_type", String(reflecting: type(of: error))),
                                            ("request_id", request.requestID)])
            return .error(status: .internalServerError, code: "internal_error",
                          message: "Internal error; quote request id \(request.requestID).")
        }
    }

    /// Sends a final response on a connection about to close, and logs it.
    private func respondAndLog(
        _ response: HTTPResponse, on socket: Socket, head: HTTPRequestHead?, started: ContinuousClock.Instant?,
        requestID: String, reason: String
    ) {
        let bytes = response.serialized(
            requestID: requestID, close: true, date: configuration.sendsDateHeader ? WallClock.httpDate() : nil)
        do {
            try write(bytes, to: socket)
        } catch {
            logger.debug("could not send error response", [("error", error.description), ("request_id", requestID)])
        }
        logAccess(method: head?.method ?? "-", path: head?.path ?? "-", status: response.status,
                  bytes: response.body.count, started: started, requestID: requestID, reason: reason)
    }

    /// One access line per request. The path goes in without its query, which may hold
    /// identifiers; bodies and header values never go in.
    private func logAccess(
        method: String, path: String, status: HTTPStatus, bytes: Int, started: ContinuousClock.Instant?,
        requestID: String, reason: String? = nil
    ) {
        let level: Logger.Level = status.code >= 500 ? .error : .info
        guard logger.isEnabled(level) else { return }
        let elapsed = started.map { clock.now - $0 } ?? .zero
        var fields = [("method", method), ("path", path), ("status", String(status.code)), ("bytes", String(bytes)),
                      ("duration_ms", Self.formatMilliseconds(elapsed))]
        if let reason { fields.append(("reason", reason)) }
        fields.append(("request_id", requestID))
        logger.log(level, "request", fields)
    }

    static func formatMilliseconds(_ duration: Duration) -> String {
        let tenths = Int((duration.milliseconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Closes politely: stop sending, then read and discard for a moment. Closing a socket
    /// with unread input makes the kernel send a reset, and a reset can make the client
    /// discard the response it has not yet read (RFC 9112 §9.6).
    private func linger(_ socket: Socket) {
        socket.shutdown(reading: false, writing: true)
        let deadline = clock.now + configuration.closeLingerTimeout
        var discarded = 0
        var scratch = [UInt8](repeating: 0, count: 4096)
        while discarded < Self.maximumLingerBytes {
            let remaining = deadline - clock.now
            guard remaining > .zero else { return }
            do {
                guard try socket.waitForReadable(timeout: remaining) else { return }
                let count = try scratch.withUnsafeMutableBytes { try socket.receive(into: $0) }
                guard count > 0 else { return }
                discarded += count
            } catch {
                return
            }
        }
    }
}
