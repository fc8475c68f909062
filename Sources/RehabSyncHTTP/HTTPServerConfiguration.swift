#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that shapes an ``HTTPServer``; every property defaults to the value in its
/// documentation, chosen for satellite clinics on slow links talking to one regional server.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal, or `localhost`. Default `127.0.0.1`, so a
    /// server is only reachable from outside when deliberately configured (`0.0.0.0`, `::`).
    public var host: String
    /// Port to bind; 0 picks a free one, readable afterwards from ``HTTPServer/boundPort``.
    /// Default 8080.
    public var port: Int
    /// Worker threads that run handlers, one request at a time each. Connections cost no
    /// worker while they are idle, arriving or being written: only while their handler
    /// runs. Default twice the number of cores, at least 4: handlers block on SQLite and
    /// disk, so a few more threads than cores keep the CPUs busy while some wait.
    public var workerCount: Int
    /// Complete requests waiting for a worker. When full, a further request is answered
    /// `503` with `Retry-After` and its connection closed, so overload is visible to
    /// clients at once instead of as timeouts. Default 128.
    public var queueCapacity: Int
    /// The kernel's backlog of connections not yet accepted (capped by `somaxconn`).
    /// Default 1024, so a burst of reconnecting devices is not dropped by the kernel.
    public var listenBacklog: Int32
    /// Parser limits.
    public var limits: HTTPLimits
    /// Longest gap between two arrivals of bytes while a request is arriving. Default 10 s.
    public var readTimeout: Duration
    /// Longest time from the first byte of a request to its last; exceeding it answers
    /// `408` and closes. Bounds slow-drip clients that keep each read under
    /// ``readTimeout``. Default 30 s.
    public var requestTimeout: Duration
    /// Longest time from the first byte of a request to the end of its header section;
    /// exceeding it answers `408` and closes. Bounds slow-loris clients that drip a header
    /// a byte at a time. Default 10 s.
    public var headerTimeout: Duration
    /// How long a connection may sit between requests (including before its first one)
    /// before it is closed. Default 5 s: long enough to reuse a connection across a sync
    /// round; an idle connection holds only a descriptor and a few hundred bytes.
    public var idleTimeout: Duration
    /// Longest time a response may make no progress; a client that stops reading is cut
    /// after it. Default 10 s.
    public var writeTimeout: Duration
    /// Requests served on one connection before it is closed, so that clients reconnect
    /// now and then and load spreads again after a restart. Default 1000.
    public var maxRequestsPerConnection: Int
    /// After an error response, how long the server keeps reading (and discarding) what the
    /// client still sends before closing, so the close does not turn into a TCP reset that
    /// destroys the response before the client reads it. Default 1 s.
    public var closeLingerTimeout: Duration
    /// Whether responses carry a `Date` field (RFC 9110 §6.6.1). Default true.
    public var sendsDateHeader: Bool
    /// The slowest a client may read a response: a response of `n` bytes must be written
    /// within ``writeTimeout`` plus `n` divided by this rate, or the connection is cut
    /// (its send deadline). Default 16 KiB/s, a poor mobile link; a 4 MiB pull page then
    /// gets about four and a half minutes.
    public var minimumSendBytesPerSecond: Int
    /// Open connections at most. Beyond it, a new connection is answered `503` with
    /// `Retry-After` and closed at once. Default 10,000; at start-up the server raises its
    /// descriptor limit (`RLIMIT_NOFILE`) toward this plus a reserve, and logs what it got.
    public var maxConnections: Int
    /// The `Retry-After` value, in seconds, of the server's own `503` answers. Default 1.
    public var retryAfterSeconds: Int
    /// Bytes read from a socket at once. With the parser's ``limits``, this caps what one
    /// connection can buffer: one request (its line, headers and body within the limits)
    /// plus at most one read beyond it, since nothing is read while its handler runs.
    /// Default 64 KiB.
    public var readBufferBytes: Int
    /// Event-loop threads, each owning its share of the connections. Default 1: one loop
    /// holds ten thousand idle connections and serves a few tens of thousands of cheap
    /// requests a second; a second loop lets cheap requests use another core (measured
    /// within noise of one on the 2-core development machine).
    public var eventLoopCount: Int
    /// Workers kept for `GET` and `HEAD` requests: at most ``workerCount`` minus this many
    /// run other methods at once. Writes wait for the database's single writer; without a
    /// reserve, a burst of pushes would hold every worker and an empty pull, which needs no
    /// writer, would queue behind them. Default 2 (0 when there are fewer than 3 workers).
    public var workersReservedForReads: Int

    /// Creates a configuration; every parameter defaults to the value documented on its property.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        workerCount: Int = HTTPServerConfiguration.defaultWorkerCount,
        queueCapacity: Int = 128,
        listenBacklog: Int32 = 1024,
        limits: HTTPLimits = HTTPLimits(),
        readTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(5),
        writeTimeout: Duration = .seconds(10),
        maxRequestsPerConnection: Int = 1000,
        closeLingerTimeout: Duration = .seconds(1),
        sendsDateHeader: Bool = true,
        headerTimeout: Duration = .seconds(10),
        minimumSendBytesPerSecond: Int = 16 * 1024,
        maxConnections: Int = 10_000,
        retryAfterSeconds: Int = 1,
        readBufferBytes: Int = 64 * 1024,
        workersReservedForReads: Int? = nil,
        eventLoopCount: Int = 1
    ) {
        precondition(workerCount > 0, "a server needs at least one worker")
        precondition(queueCapacity > 0, "the request queue needs room for at least one request")
        precondition(maxConnections > 0 && minimumSendBytesPerSecond > 0 && retryAfterSeconds >= 0, "limits must be positive")
        precondition(maxRequestsPerConnection > 0, "a connection must be allowed at least one request")
        precondition(readTimeout > .zero && requestTimeout > .zero && idleTimeout > .zero && writeTimeout > .zero
                     && headerTimeout > .zero,
                     "timeouts must be positive")
        self.host = host
        self.port = port
        self.workerCount = workerCount
        self.queueCapacity = queueCapacity
        self.listenBacklog = listenBacklog
        self.limits = limits
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.closeLingerTimeout = closeLingerTimeout
        self.sendsDateHeader = sendsDateHeader
        self.headerTimeout = headerTimeout
        self.minimumSendBytesPerSecond = minimumSendBytesPerSecond
        self.maxConnections = maxConnections
        self.retryAfterSeconds = retryAfterSeconds
        self.readBufferBytes = max(1_024, readBufferBytes)
        self.eventLoopCount = max(1, eventLoopCount)
        self.workersReservedForReads = min(max(0, workersReservedForReads ?? (workerCount >= 3 ? 2 : 0)), workerCount - 1)
    }

    /// Twice the online cores, at least 4.
    public static var defaultWorkerCount: Int {
        max(4, 2 * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }
}
