/// One connection's life as a pure state machine: bytes, "the handler answered", "this
/// much was written" and "a deadline passed" go in; the bytes to send, the request to hand
/// to a worker, the deadline to arm and what to log come out. No I/O, no clock: the event
/// loop does both, and tests drive the machine directly.
///
/// Phases: ``Phase/idle`` (between requests) → ``Phase/receiving`` (a request is arriving)
/// → ``Phase/awaitingHandler`` (a worker has it; nothing is read meanwhile, so pipelined
/// requests wait in the kernel's buffer and memory stays bounded) → ``Phase/sending`` →
/// idle again, or ``Phase/lingering`` (half-closed, discarding input) → ``Phase/closed``.
struct HTTPConnection {
    enum Phase: Sendable, Hashable {
        case idle
        case receiving
        case awaitingHandler
        case sending
        case lingering
        case closed
    }

    /// Which limit the current deadline enforces.
    enum DeadlineKind: String, Sendable {
        /// Between requests (``HTTPServerConfiguration/idleTimeout``).
        case idle
        /// Until the header section is complete.
        case header
        /// Until the body is complete.
        case body
        /// Until the response is written.
        case send
        /// Until the lingering close gives up.
        case linger
    }

    /// A request's outcome for the access log and the counters.
    struct Access: Sendable {
        var method: String
        var path: String
        var status: HTTPStatus
        var bodyBytes: Int
        var started: ContinuousClock.Instant?
        var finished: ContinuousClock.Instant
        var requestID: String
        /// Why the request ended early (a parser refusal, a timeout), or nil.
        var reason: String?
    }

    /// What the loop must act on after an event, in order.
    enum Effect: Sendable {
        /// Hand this request to a worker.
        case dispatch(HTTPRequest)
        /// A response was written completely, or cut: log and count it.
        case access(Access)
        /// The connection refused a request or timed out; counted by reason.
        case rejected(reason: String)
        /// Shut down the sending side; a lingering close begins.
        case shutDownWriting
    }

    /// The moment of an event and the `Date` value for a response made at it; the loop
    /// reads the clocks so the machine stays pure.
    struct Moment: Sendable {
        var now: ContinuousClock.Instant
        var httpDate: String?
    }

    /// Bodies up to this size are copied behind the head and sent in one write; larger
    /// ones are sent from the response's own storage, never copied.
    static let coalescedBodyBytes = 16 * 1024

    let configuration: HTTPServerConfiguration
    let remoteAddress: String
    private(set) var phase: Phase = .idle
    /// When the current state's limit runs out; nil while a handler runs.
    private(set) var deadline: ContinuousClock.Instant?
    private(set) var deadlineKind: DeadlineKind?
    /// Requests answered on this connection.
    private(set) var served = 0
    /// Bytes queued and not yet written.
    private(set) var pendingOutputBytes = 0

    private var effects: [Effect] = []
    private var parser: HTTPRequestParser
    private var shuttingDown = false
    private var requestStarted: ContinuousClock.Instant?
    private var lastProgress: ContinuousClock.Instant
    private var head: HTTPRequestHead?
    private var requestID: String?
    private var inFlight: HTTPRequest?
    private var output: [[UInt8]] = []
    private var outputOffset = 0
    private var closeWhenSent = false
    private var pendingAccess: Access?
    private var sendDeadline: ContinuousClock.Instant?
    private var discardedWhileLingering = 0

    /// At most this much input is read and discarded during a lingering close.
    static let maximumLingerBytes = 256 * 1024

    init(configuration: HTTPServerConfiguration, remoteAddress: String, at now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.remoteAddress = remoteAddress
        parser = HTTPRequestParser(limits: configuration.limits)
        lastProgress = now
        arm(.idle, at: now + configuration.idleTimeout)
    }

    // MARK: - Interest

    /// Whether the loop should read from the socket now.
    var wantsRead: Bool { phase == .idle || phase == .receiving || phase == .lingering }

    /// Whether there are bytes to write.
    var wantsWrite: Bool { pendingOutputBytes > 0 }

    var isClosed: Bool { phase == .closed }

    /// The effects produced since the last call, oldest first.
    mutating func takeEffects() -> [Effect] {
        defer { effects.removeAll(keepingCapacity: true) }
        return effects
    }

    // MARK: - Input

    /// Bytes arrived from the client.
    mutating func received(_ bytes: some Collection<UInt8>, at moment: Moment) {
        switch phase {
        case .closed:
            return
        case .lingering:
            discardedWhileLingering += bytes.count
            if discardedWhileLingering > Self.maximumLingerBytes { close() }
            return
        case .idle:
            phase = .receiving
            requestStarted = moment.now
        case .receiving, .awaitingHandler, .sending:
            break
        }
        lastProgress = moment.now
        parser.feed(bytes)
        if phase == .receiving { parse(at: moment) }
    }

    /// The client closed its sending side (or the connection).
    mutating func receivedEndOfInput() {
        close()
    }

    /// The socket failed (reset, broken pipe); nothing more can be sent.
    mutating func failed(at now: ContinuousClock.Instant, reason: String = "connection_lost") {
        if var access = pendingAccess {
            access.finished = now
            access.reason = reason
            effects.append(.access(access))
            pendingAccess = nil
        }
        close()
    }

    /// The worker's answer to the request handed out by ``Effect/dispatch(_:)``. With
    /// `forceClose` (a refusal), the connection closes after it whatever the request said.
    mutating func handlerAnswered(_ response: HTTPResponse, forceClose: Bool = false, at moment: Moment) {
        guard phase == .awaitingHandler, let request = inFlight else { return }
        inFlight = nil
        served += 1
        let keepAlive = !forceClose && request.wantsKeepAlive && !response.requestsClose
            && served < configuration.maxRequestsPerConnection && !shuttingDown
        let includeBody = request.method != "HEAD"
        respond(response, keepAlive: keepAlive, http10: request.version == .http1_0, includeBody: includeBody,
                access: Access(method: request.method, path: request.path, status: response.status,
                               bodyBytes: response.body.count, started: requestStarted, finished: moment.now,
                               requestID: request.requestID, reason: forceClose ? "refused" : nil),
                at: moment)
    }

    /// The current deadline passed.
    mutating func deadlinePassed(at moment: Moment) {
        guard let deadline, moment.now >= deadline, let kind = deadlineKind else { return }
        switch phase {
        case .idle, .lingering, .closed, .awaitingHandler:
            close()
        case .receiving:
            let reason = kind == .header ? "header_timeout" : "body_timeout"
            effects.append(.rejected(reason: reason))
            let response = HTTPResponse.error(
                status: .requestTimeout, code: "request_timeout", message: "The request was not received in time.")
            respond(response, keepAlive: false, http10: false, includeBody: true,
                    access: access(for: response, reason: reason, at: moment.now), at: moment)
        case .sending:
            effects.append(.rejected(reason: "send_timeout"))
            failed(at: moment.now, reason: "send_timeout")
        }
    }

    /// The server is shutting down: later responses say `Connection: close`, and a
    /// connection waiting for a request (kept alive, or new and silent) closes now, as
    /// nginx does; one whose request has begun to arrive is still served.
    mutating func beginShutdown() {
        shuttingDown = true
        if phase == .idle { close() }
    }

    // MARK: - Output

    /// Calls `body` with the next bytes to write, if any.
    func withPendingOutput<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        guard let first = output.first else { return nil }
        return first.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[outputOffset...])) }
    }

    /// `count` bytes of the pending output were written.
    mutating func wrote(_ count: Int, at moment: Moment) {
        var remaining = count
        pendingOutputBytes -= count
        while remaining > 0, let first = output.first {
            let left = first.count - outputOffset
            if remaining >= left {
                remaining -= left
                output.removeFirst()
                outputOffset = 0
            } else {
                outputOffset += remaining
                remaining = 0
            }
        }
        guard phase == .sending else { return }
        if pendingOutputBytes > 0 {
            if let sendDeadline { arm(.send, at: min(sendDeadline, moment.now + configuration.writeTimeout)) }
            return
        }
        finishSending(at: moment)
    }

    // MARK: - Steps

    private mutating func parse(at moment: Moment) {
        while phase == .receiving {
            switch parser.next() {
            case .needMoreData:
                if parser.isIdle {
                    becomeIdle(at: moment.now)
                } else {
                    armReceiving()
                }
                return
            case .head(let parsed):
                head = parsed
                requestID = RequestID.make(clientValue: parsed.headers["X-Request-Id"])
                if parsed.expectsContinue {
                    // The limits already passed (an oversized Content-Length would have been
                    // an error instead of a head), so the client may send the body.
                    enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
            case .complete(var request):
                request.requestID = requestID ?? RequestID.generate()
                request.remoteAddress = remoteAddress
                requestStarted = requestStarted ?? moment.now
                inFlight = request
                phase = .awaitingHandler
                deadline = nil
                deadlineKind = nil
                effects.append(.dispatch(request))
                return
            case .error(let error):
                effects.append(.rejected(reason: error.code.rawValue))
                respond(error.response, keepAlive: false, http10: false, includeBody: true,
                        access: access(for: error.response, reason: error.code.rawValue, at: moment.now), at: moment)
                return
            }
        }
    }

    private func access(for response: HTTPResponse, reason: String, at now: ContinuousClock.Instant) -> Access {
        Access(method: head?.method ?? "-", path: head?.path ?? "-", status: response.status,
               bodyBytes: response.body.count, started: requestStarted, finished: now,
               requestID: requestID ?? RequestID.generate(), reason: reason)
    }

    private mutating func respond(
        _ response: HTTPResponse, keepAlive: Bool, http10: Bool, includeBody: Bool, access: Access, at moment: Moment
    ) {
        var bytes = response.serializedHead(
            requestID: access.requestID, close: !keepAlive, keepAliveForHTTP10: keepAlive && http10, date: moment.httpDate)
        let sendsBody = includeBody && !response.status.forbidsContent && !response.body.isEmpty
        if sendsBody && response.body.count <= Self.coalescedBodyBytes {
            bytes.append(contentsOf: response.body)
            enqueue(bytes)
        } else {
            enqueue(bytes)
            if sendsBody { enqueue(response.body) }
        }
        closeWhenSent = !keepAlive
        pendingAccess = access
        phase = .sending
        // The floor: a client must take the response at least this fast, plus one write
        // timeout of slack for the round trips at its start.
        let floorSeconds = Double(pendingOutputBytes) / Double(configuration.minimumSendBytesPerSecond)
        let limit = moment.now + configuration.writeTimeout + .milliseconds(Int64((floorSeconds * 1000).rounded(.up)))
        sendDeadline = limit
        arm(.send, at: min(limit, moment.now + configuration.writeTimeout))
    }

    private mutating func finishSending(at moment: Moment) {
        if var access = pendingAccess {
            access.finished = moment.now
            effects.append(.access(access))
            pendingAccess = nil
        }
        sendDeadline = nil
        head = nil
        requestID = nil
        requestStarted = nil
        if closeWhenSent {
            beginLinger(at: moment.now)
            return
        }
        phase = .receiving
        requestStarted = moment.now
        // Pipelined requests already buffered go on at once.
        parse(at: moment)
    }

    private mutating func becomeIdle(at now: ContinuousClock.Instant) {
        phase = .idle
        requestStarted = nil
        parser.releaseSpareCapacity()
        if shuttingDown {
            close()
            return
        }
        arm(.idle, at: now + configuration.idleTimeout)
    }

    private mutating func armReceiving() {
        // Safe because receiving always starts by setting requestStarted.
        let started = requestStarted ?? lastProgress
        var limit = min(started + configuration.requestTimeout, lastProgress + configuration.readTimeout)
        if head == nil {
            limit = min(limit, started + configuration.headerTimeout)
        }
        arm(head == nil ? .header : .body, at: limit)
    }

    private mutating func beginLinger(at now: ContinuousClock.Instant) {
        effects.append(.shutDownWriting)
        phase = .lingering
        discardedWhileLingering = 0
        arm(.linger, at: now + configuration.closeLingerTimeout)
    }

    private mutating func enqueue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        pendingOutputBytes += bytes.count
        output.append(bytes)
    }

    private mutating func arm(_ kind: DeadlineKind, at instant: ContinuousClock.Instant) {
        deadlineKind = kind
        deadline = instant
    }

    private mutating func close() {
        phase = .closed
        deadline = nil
        deadlineKind = nil
        output = []
        outputOffset = 0
        pendingOutputBytes = 0
        inFlight = nil
        parser = HTTPRequestParser(limits: configuration.limits)
    }
}
