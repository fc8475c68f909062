#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// An HTTP/1.1 server: an event loop (or a few, ``HTTPServerConfiguration/eventLoopCount``)
/// over non-blocking sockets for the connections, and a bounded pool of worker threads for
/// the handlers.
///
/// Why the split: handlers call SQLite, which blocks the calling thread for the length of
/// a query or a disk sync, so they run on dedicated threads (never on Swift concurrency's
/// cooperative pool, which a blocking call would stall). Connections must not cost a
/// thread: a device on a mobile link may take seconds to send a header or read a page,
/// and thousands may sit idle between syncs. So an ``EventLoop`` thread owns the sockets
/// (epoll, level-triggered), drives each connection's pure state machine
/// (``HTTPConnection``) and enforces its deadlines from a heap; only a complete request
/// takes a worker, and only while its handler runs. See `server-io.md` in the design notes.
///
/// Limits, all in ``HTTPServerConfiguration``: at most
/// ``HTTPServerConfiguration/maxConnections`` connections and
/// ``HTTPServerConfiguration/queueCapacity`` requests waiting for a worker; beyond either,
/// `503` with `Retry-After`, at once. Counters for all of it are in ``statistics``.
///
/// Lifecycle: ``State/idle`` → ``start()`` → ``State/running`` → ``shutdown(gracePeriod:)``
/// → ``State/shuttingDown`` → ``State/stopped``.
public final class HTTPServer: Sendable {
    /// The handler: synchronous, called on a worker thread, free to block. A thrown
    /// ``HTTPResponseError`` becomes its response; anything else becomes a `500`.
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// A handler the event loop itself calls first, for answers that need no blocking call
    /// (a cached health answer): it must return at once, never touch SQLite or the disk,
    /// and returns nil to hand the request to the workers. It saves two thread hand-offs
    /// per request, which on a small machine are most of a cheap request's cost.
    public typealias NonBlockingHandler = @Sendable (HTTPRequest) -> HTTPResponse?

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
        var loops: [EventLoop] = []
        var pool: WorkerPool?
        var boundPort: Int?
    }

    /// After the grace period, how long shutdown still waits for handlers to return before
    /// abandoning them.
    static let abandonWait: Duration = .seconds(1)

    /// The configuration the server was created with.
    public let configuration: HTTPServerConfiguration
    /// What the connection layer counts: refusals, rejections, open connections, queue.
    public let statistics: HTTPServerStatistics
    private let logger: Logger
    private let handler: Handler
    private let nonBlockingHandler: NonBlockingHandler?
    private let lifecycle = Mutex(Lifecycle())
    private let loopsFinished = DispatchGroup()
    private let stoppedGroup = DispatchGroup()

    /// Creates a server; nothing happens until ``start()``.
    public init(configuration: HTTPServerConfiguration, logger: Logger = Logger(label: "http"),
                statistics: HTTPServerStatistics = HTTPServerStatistics(),
                nonBlockingHandler: NonBlockingHandler? = nil, handler: @escaping Handler) {
        self.configuration = configuration
        self.logger = logger
        self.statistics = statistics
        self.nonBlockingHandler = nonBlockingHandler
        self.handler = handler
    }

    /// The current lifecycle state.
    public var state: State { lifecycle.withLock { $0.state } }

    /// The port actually bound (useful with port 0), once started.
    public var boundPort: Int? { lifecycle.withLock { $0.boundPort } }

    /// Raises the descriptor limit, binds, listens, and starts the event loop and the
    /// workers; returns once the socket is listening, so clients may connect immediately.
    /// Ignores SIGPIPE process-wide.
    ///
    /// - Throws: ``HTTPServerError/notIdle`` if already started, or the failing system call.
    public func start() throws(HTTPServerError) {
        Platform.ignoreSIGPIPE()
        let wanted = configuration.maxConnections + ResourceLimits.reservedDescriptors
        let granted = ResourceLimits.raiseDescriptorLimit(toward: wanted)
        let port = try lifecycle.withLock { (lifecycle) throws(HTTPServerError) -> Int in
            guard lifecycle.state == .idle else { throw .notIdle }
            let socket = try Socket.listen(
                host: configuration.host, port: configuration.port, backlog: configuration.listenBacklog)
            var loops: [EventLoop] = []
            let port: Int
            do throws(HTTPServerError) {
                port = try socket.localPort()
                let listener = try SharedListener(socket: socket, loops: configuration.eventLoopCount)
                for index in 0..<configuration.eventLoopCount {
                    loops.append(try EventLoop(index: index, listener: listener, configuration: configuration, logger: logger,
                                               statistics: statistics, nonBlockingHandler: nonBlockingHandler))
                }
            } catch {
                socket.close()
                for loop in loops { loop.releaseWakeUp() }
                throw error
            }
            let pool = WorkerPool(workerCount: configuration.workerCount, capacity: configuration.queueCapacity,
                                  reservedForReads: configuration.workersReservedForReads, handler: handler,
                                  logger: logger, wakers: loops.map(\.wake))
            lifecycle.loops = loops
            lifecycle.pool = pool
            lifecycle.boundPort = port
            lifecycle.state = .running
            stoppedGroup.enter()
            for loop in loops {
                loop.pool = pool
                loopsFinished.enter()
                let thread = Thread { [loopsFinished] in
                    loop.run()
                    loopsFinished.leave()
                }
                thread.name = "http-event-loop-\(loop.index)"
                thread.start()
            }
            return port
        }
        logger.info("listening", [("host", configuration.host), ("port", String(port)),
                                  ("workers", String(configuration.workerCount)),
                                  ("queue_capacity", String(configuration.queueCapacity)),
                                  ("max_connections", String(configuration.maxConnections)),
                                  ("event_loops", String(configuration.eventLoopCount)),
                                  ("descriptor_limit", String(granted))])
        if granted < wanted {
            logger.warning("descriptor limit below the connection limit; connections beyond it are refused",
                           [("wanted", String(wanted)), ("granted", String(granted))])
        }
    }

    /// Stops the server: closes the listener, closes idle keep-alive connections, and lets
    /// requests in flight finish and be written for up to `gracePeriod`; then cuts the
    /// remaining connections and returns. Safe to call more than once and from several
    /// threads: later calls wait for the first to finish.
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        enum Step { case proceed([EventLoop], WorkerPool?), wait, done }
        let step = lifecycle.withLock { lifecycle -> Step in
            switch lifecycle.state {
            case .idle:
                lifecycle.state = .stopped
                return .done
            case .running:
                lifecycle.state = .shuttingDown
                return .proceed(lifecycle.loops, lifecycle.pool)
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
        case .proceed(let loops, let pool):
            logger.info("shutting down", [("grace_period_ms", gracePeriod.formattedMilliseconds)])
            let graceEnds = ContinuousClock.now + gracePeriod
            for loop in loops { loop.requestShutdown(gracePeriod: gracePeriod) }
            loopsFinished.wait()
            if let pool {
                pool.close()
                // Handlers of connections that went away may still run: they get what is
                // left of the grace period, and then a moment more before being abandoned.
                let remaining = max(.zero, graceEnds - ContinuousClock.now)
                if pool.waitUntilFinished(timeout: remaining + Self.abandonWait) {
                    for loop in loops { loop.releaseWakeUp() }
                } else {
                    // The wake-up descriptors stay open: an abandoned worker may still write.
                    logger.error("abandoning workers stuck in handlers")
                }
            }
            lifecycle.withLock {
                $0.state = .stopped
                $0.loops = []
                $0.pool = nil
            }
            logger.info("stopped")
            stoppedGroup.leave()
        }
    }

    /// The same as ``shutdown(gracePeriod:)``, under the name other server types use.
    public func stop(gracePeriod: Duration = .seconds(10)) {
        shutdown(gracePeriod: gracePeriod)
    }

    /// Blocks until a started server has stopped; returns at once if it never started.
    public func waitUntilStopped() {
        stoppedGroup.wait()
    }
}
