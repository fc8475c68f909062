import Synchronization

/// What the connection layer counts, for `/metrics` and `/readyz`: refusals, parser
/// rejections, `503`s, open connections and queued requests. Written by the event loop,
/// read from any thread.
///
/// Create one and pass it to ``HTTPServer/init(configuration:logger:statistics:handler:)``
/// when a handler needs it (the sync server's `/metrics` route does); otherwise the server
/// makes its own.
public final class HTTPServerStatistics: Sendable {
    /// The counters at one moment.
    public struct Snapshot: Sendable, Hashable {
        /// Connections open now.
        public var openConnections: Int
        /// Complete requests waiting for a worker now.
        public var queuedRequests: Int
        /// Requests being handled by a worker now.
        public var requestsInHandlers: Int
        /// Connections or requests refused with `503`, by reason (`max_connections`,
        /// `server_busy`, `shutting_down`).
        public var refused: [String: Int]
        /// Requests the parser refused, by its error code, and timeouts by kind
        /// (`header_timeout`, `body_timeout`, `send_timeout`).
        public var rejections: [String: Int]
        /// Every response with status `503`, whoever produced it.
        public var serviceUnavailableResponses: Int
        /// Connections accepted since start.
        public var acceptedConnections: Int
        /// Response bytes queued on connections and not yet taken by the kernel.
        public var bufferedResponseBytes: Int

        /// Creates a snapshot; for tests of what consumes one.
        public init(openConnections: Int = 0, queuedRequests: Int = 0, requestsInHandlers: Int = 0,
                    refused: [String: Int] = [:], rejections: [String: Int] = [:], serviceUnavailableResponses: Int = 0,
                    acceptedConnections: Int = 0, bufferedResponseBytes: Int = 0) {
            self.openConnections = openConnections
            self.queuedRequests = queuedRequests
            self.requestsInHandlers = requestsInHandlers
            self.refused = refused
            self.rejections = rejections
            self.serviceUnavailableResponses = serviceUnavailableResponses
            self.acceptedConnections = acceptedConnections
            self.bufferedResponseBytes = bufferedResponseBytes
        }
    }

    private struct State {
        var refused: [String: Int] = [:]
        var rejections: [String: Int] = [:]
        var serviceUnavailable = 0
        var accepted = 0
        var lastShedding: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let open = Atomic<Int>(0)
    private let queued = Atomic<Int>(0)
    private let inHandlers = Atomic<Int>(0)
    private let buffered = Atomic<Int>(0)

    /// How long after shedding load the server still reports itself as not ready, so that a
    /// load balancer polling every few seconds sees the episode.
    public static let sheddingMemory: Duration = .seconds(5)

    public init() {}

    /// The counters now.
    public func snapshot() -> Snapshot {
        state.withLock { state in
            Snapshot(openConnections: open.load(ordering: .relaxed), queuedRequests: queued.load(ordering: .relaxed),
                     requestsInHandlers: inHandlers.load(ordering: .relaxed), refused: state.refused,
                     rejections: state.rejections, serviceUnavailableResponses: state.serviceUnavailable,
                     acceptedConnections: state.accepted, bufferedResponseBytes: buffered.load(ordering: .relaxed))
        }
    }

    /// Whether the server refused work recently (within ``sheddingMemory``) or its request
    /// queue is full now.
    public func isShedding(queueCapacity: Int? = nil, now: ContinuousClock.Instant = .now) -> Bool {
        if let queueCapacity, queued.load(ordering: .relaxed) >= queueCapacity { return true }
        guard let last = state.withLock({ $0.lastShedding }) else { return false }
        return now - last < Self.sheddingMemory
    }

    // MARK: - Recording (the event loop)

    /// Counts a new connection if fewer than `limit` are open; false when the limit is
    /// reached. One counter for every event loop, so together they respect the limit.
    func reserveConnection(limit: Int) -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                state.withLock { $0.accepted += 1 }
                return true
            }
            current = original
        }
        return false
    }

    func connectionClosed() { open.subtract(1, ordering: .relaxed) }

    func addBufferedResponseBytes(_ delta: Int) {
        if delta != 0 { buffered.add(delta, ordering: .relaxed) }
    }

    func setQueued(_ count: Int, inHandlers running: Int) {
        queued.store(count, ordering: .relaxed)
        inHandlers.store(running, ordering: .relaxed)
    }

    func refused(_ reason: String, at now: ContinuousClock.Instant) {
        state.withLock { state in
            state.refused[reason, default: 0] += 1
            state.lastShedding = now
        }
    }

    func rejected(_ reason: String) {
        state.withLock { $0.rejections[reason, default: 0] += 1 }
    }

    func answered(status: HTTPStatus) {
        guard status == .serviceUnavailable else { return }
        state.withLock { $0.serviceUnavailable += 1 }
    }
}
