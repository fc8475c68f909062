#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// An HTTP/1.1 server over blocking sockets with a bounded pool of worker threads.
///
/// Why threads and not Swift concurrency: handlers call SQLite, which blocks the calling
/// thread for the length of a query or a disk sync. Blocking inside tasks on the
/// cooperative pool (one thread per core) would stall every other task in the process,
/// including the replica's sync loop and the scheduler. Dedicated threads may block freely,
/// and their number, plus a bounded queue in front of them, caps the load the database
/// sees: when all workers are busy and the queue is full, clients get an immediate `503`.
///
/// Shape: one acceptor thread accepts connections and hands them to a bounded
/// ``ConnectionQueue``; ``HTTPServerConfiguration/workerCount`` workers each take one
/// connection and serve its requests (keep-alive) until it closes, times out, reaches
/// ``HTTPServerConfiguration/maxRequestsPerConnection``, or the server shuts down.
///
/// Lifecycle: ``State/idle`` → ``start()`` → ``State/running`` → ``shutdown(gracePeriod:)``
/// → ``State/shuttingDown`` → ``State/stopped``.
public final class HTTPServer: Sendable {
    /// The handler: synchronous, called on a worker thread, free to block. A thrown
    /// ``HTTPResponseError`` becomes its response; anything else becomes a `500`.
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// Where the server is in its life.
    public enum State: Sendable, Hashable {
        /// Created, not listening.
        case idle
        /// Listening and serving.
        case running
        /// No longer accepting; finishing in-flight requests.
        case shuttingDown
        /// Every thread has finished (or was abandoned after the grace period).
        case stopped
    }

    private struct Lifecycle {
        var state: State = .idle
        var listener: Socket?
        var boundPort: Int?
    }

    /// After the grace period, how long shutdown still waits for workers whose connections
    /// it has just cut; a handler stuck for longer is abandoned, not awaited forever.
    static let abandonWait: Duration = .seconds(1)

    /// The configuration the server was created with.
    public let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let handler: Handler
    private let lifecycle = Mutex(Lifecycle())
    private let queue: ConnectionQueue
    private let registry = ConnectionRegistry()
    private let acceptorFinished = DispatchSemaphore(value: 0)
    private let workersFinished = DispatchGroup()
    private let stoppedGroup = DispatchGroup()

    /// Creates a server; nothing happens until ``start()``.
    public init(configuration: HTTPServerConfiguration, logger: Logger = Logger(label: "http"), handler: @escaping Handler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        self.queue = ConnectionQueue(capacity: configuration.queueCapacity)
    }

    /// The current lifecycle state.
    public var state: State { lifecycle.withLock { $0.state } }

    /// The port actually bound (useful with port 0), once started.
    public var boundPort: Int? { lifecycle.withLock { $0.boundPort } }

    /// Binds, listens, and starts the acceptor and worker threads; returns once the socket
    /// is listening, so clients may connect immediately. Ignores SIGPIPE process-wide.
    ///
    /// - Throws: ``HTTPServerError/notIdle`` if already started, or the failing system call.
    public func start() throws(HTTPServerError) {
        Platform.ignoreSIGPIPE()
        let port = try lifecycle.withLock { (lifecycle) throws(HTTPServerError) -> Int in
            guard lifecycle.state == .idle else { throw .notIdle }
            let listener = try Socket.listen(
                host: configuration.host, port: configuration.port, backlog: configuration.listenBacklog)
            let port: Int
            do throws(HTTPServerError) {
                port = try listener.localPort()
            } catch {
                listener.close()
                throw error
            }
            lifecycle.listener = listener
            lifecycle.boundPort = port
            lifecycle.state = .running
            // Threads start under the lock so a concurrent shutdown() sees them all.
            stoppedGroup.enter()
            startThread(name: "http-acceptor") { [self] in runAcceptor(listener) }
            let connectionHandler = ConnectionHandler(
                configuration: configuration, logger: logger, handler: handler, registry: registry)
            for index in 0..<configuration.workerCount {
                workersFinished.enter()
                startThread(name: "http-worker-\(index)") { [self] in runWorker(connectionHandler) }
            }
            return port
        }
        logger.info("listening", [("host", configuration.host), ("port", String(port)),
                                  ("workers", String(configuration.workerCount)),
                                  ("queue_capacity", String(configuration.queueCapacity))])
    }

    /// Stops the server: closes the listener, answers connections still queued with `503`,
    /// closes idle keep-alive connections, and lets requests in flight finish for up to
    /// `gracePeriod`; then cuts the remaining connections and returns. Safe to call more
    /// than once and from several threads: later calls wait for the first to finish.
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        enum Step { case proceed(Socket?), wait, done }
        let step = lifecycle.withLock { lifecycle -> Step in
            switch lifecycle.state {
            case .idle:
                lifecycle.state = .stopped
                return .done
            case .running:
                lifecycle.state = .shuttingDown
                defer { lifecycle.listener = nil }
                return .proceed(lifecycle.listener)
            case .shuttingDown:
                return .wait
            case .stopped:
                return .done
            }
        }
        switch step {
        case .done:
            return
        case .wait:
            waitUntilStopped()
            return
        case .proceed(let listener):
            logger.info("shutting down", [("grace_period_ms", ConnectionHandler.formatMilliseconds(gracePeriod))])
            // First, so that every response from now on says `Connection: close` and idle
            // keep-alive connections are closed.
            registry.beginShutdown()
            // Shutting the listener down wakes the acceptor from accept(); it closes the
            // descriptor itself once out of accept(), so the number cannot be reused under it.
            listener?.shutdown(reading: true, writing: true)
            acceptorFinished.wait()
            for item in queue.close() {
                refuse(item, code: "shutting_down", message: "The server is shutting down; retry shortly.")
            }
            if workersFinished.wait(timeout: .now() + gracePeriod.dispatchInterval) == .timedOut {
                logger.warning("grace period over; closing connections", [("connections", String(registry.count))])
                registry.shutDownAll()
                if workersFinished.wait(timeout: .now() + Self.abandonWait.dispatchInterval) == .timedOut {
                    logger.error("abandoning workers stuck in handlers")
                }
            }
            lifecycle.withLock { $0.state = .stopped }
            logger.info("stopped")
            stoppedGroup.leave()
        }
    }

    /// Blocks until a started server has stopped; returns at once if it never started.
    public func waitUntilStopped() {
        stoppedGroup.wait()
    }

    // MARK: - Threads

    private func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    private func runAcceptor(_ listener: Socket) {
        defer {
            listener.close()
            acceptorFinished.signal()
        }
        while true {
            let connection: (socket: Socket, remoteAddress: String)
            do {
                connection = try listener.accept()
            } catch {
                if state != .running { return }
                if case .systemCall(_, let code) = error, code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    // Out of descriptors or memory: pause rather than spin; finishing
                    // connections will free some.
                    logger.warning("accept failed; pausing", [("error", error.description)])
                    usleep(100_000)
                } else {
                    logger.debug("accept failed", [("error", error.description)])
                }
                continue
            }
            let item = ConnectionQueue.Item(socket: connection.socket, remoteAddress: connection.remoteAddress)
            if !queue.push(item) {
                refuse(item, code: "server_busy", message: "The server is busy; retry shortly.")
            }
        }
    }

    private func runWorker(_ connectionHandler: ConnectionHandler) {
        defer { workersFinished.leave() }
        while let item = queue.pop() {
            connectionHandler.serve(item)
        }
    }

    /// Answers `503` with `Retry-After: 1` without reading the request, then closes. Runs
    /// on the acceptor (or shutdown) thread, so it must not wait on the client.
    private func refuse(_ item: ConnectionQueue.Item, code: String, message: String) {
        let requestID = RequestID.generate()
        var response = HTTPResponse.error(status: .serviceUnavailable, code: code, message: message)
        response.headers.add(name: "Retry-After", value: "1")
        let bytes = response.serialized(
            requestID: requestID, close: true, date: configuration.sendsDateHeader ? WallClock.httpDate() : nil)
        let socket = item.socket
        do {
            // A short send timeout: a 503 fits in the socket buffer, and a client that
            // cannot take even that is not worth blocking the acceptor for.
            try socket.setTimeouts(receive: .milliseconds(100), send: .milliseconds(500))
            try socket.sendAll(bytes)
        } catch {
            logger.debug("could not send 503", [("error", error.description), ("request_id", requestID)])
        }
        socket.shutdown(reading: false, writing: true)
        // Discard what already arrived, without waiting, so close() is less likely to reset
        // the connection before the client has read the 503.
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            let count = scratch.withUnsafeMutableBytes { buffer in
                (try? socket.receive(into: buffer, flags: Int32(MSG_DONTWAIT))) ?? 0
            }
            if count <= 0 { break }
        }
        socket.close()
        logger.warning("connection refused", [("status", "503"), ("reason", code), ("request_id", requestID)])
    }
}
