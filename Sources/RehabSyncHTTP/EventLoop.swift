#if canImport(Glibc)
import Glibc
import Dispatch
import Foundation
import Synchronization

/// A thread that owns connections: it accepts, reads, feeds each ``HTTPConnection`` and
/// writes what it produces, and arms each connection's deadline in a heap whose top sets
/// the `epoll_wait` timeout. It never blocks on anything but `epoll_wait` and calls no
/// handler but the optional non-blocking one: complete requests go to the ``WorkerPool``,
/// whose answers come back through a queue and an `eventfd` wake-up.
///
/// Sockets are non-blocking and level-triggered (see ``Epoll``). A connection is watched
/// for writing only while output is pending, and for reading while it wants a request
/// (interest in reading is dropped lazily, see ``update(_:exactInterest:)``), so one
/// waiting for its handler costs no wake-ups.
///
/// There may be a few loops sharing one listening socket (each watches it with
/// `EPOLLEXCLUSIVE`, so a new connection wakes one of them), one worker pool and one set
/// of counters; ``HTTPServer`` starts and stops them together.
///
/// Concurrency: everything but the wake-up flag, the shutdown request and the pool is
/// touched only by the loop thread, which is what makes `@unchecked Sendable` sound.
final class EventLoop: @unchecked Sendable {
    /// A connection and the loop's bookkeeping for it; a class, so that events update it
    /// in place instead of copying the state machine in and out of the table.
    private final class Slot {
        var connection: HTTPConnection
        let generation: UInt64
        var registered: Epoll.Events
        var scheduled: ContinuousClock.Instant?
        /// The connection's pending output as last added to the counters' buffered bytes.
        var accountedOutput = 0

        init(connection: HTTPConnection, generation: UInt64, registered: Epoll.Events) {
            self.connection = connection
            self.generation = generation
            self.registered = registered
        }
    }

    private struct DeadlineKey: Sendable {
        var descriptor: Int32
        var generation: UInt64
    }

    /// Accepts per wake-up, so a flood of connections cannot starve the ones already open.
    static let acceptsPerWakeUp = 256
    /// Reads per connection per wake-up, for the same reason.
    static let readsPerWakeUp = 4
    /// How long accepting pauses when the process is out of descriptors or memory.
    static let acceptPause: Duration = .milliseconds(100)

    private let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let statistics: HTTPServerStatistics
    private let epoll: Epoll
    private let waker: Waker
    private var wakeDescriptor: Int32 { waker.descriptor }
    private let shutdownRequest = Mutex<Duration?>(nil)
    private let clock = ContinuousClock()
    /// Which of the server's loops this is; answers are routed back by it.
    let index: Int
    /// Set by the server before ``run()``; shared by all loops.
    var pool: WorkerPool!
    private let nonBlockingHandler: HTTPServer.NonBlockingHandler?
    private let listener: SharedListener

    private var slots: [Int32: Slot] = [:]
    private var heap = DeadlineHeap<DeadlineKey>()
    private var nextGeneration: UInt64 = 0
    private var scratch: [UInt8]
    private var ready: [Epoll.Readiness] = []
    private var listening = true
    private var acceptPausedUntil: ContinuousClock.Instant?
    private var stopping = false
    private var graceDeadline: ContinuousClock.Instant?
    private var refusalLog = RefusalLogSampler()
    private var dateSecond = 0
    private var dateText: String?

    /// Watches `listener` with the other loops; ``run()`` starts the loop once ``pool`` is set.
    init(index: Int, listener: SharedListener, configuration: HTTPServerConfiguration, logger: Logger,
         statistics: HTTPServerStatistics, nonBlockingHandler: HTTPServer.NonBlockingHandler?) throws(HTTPServerError) {
        self.index = index
        self.listener = listener
        self.nonBlockingHandler = nonBlockingHandler
        self.configuration = configuration
        self.logger = logger
        self.statistics = statistics
        scratch = [UInt8](repeating: 0, count: configuration.readBufferBytes)
        epoll = try Epoll()
        let wakeDescriptor = try Epoll.makeEventFD()
        waker = Waker(descriptor: wakeDescriptor)
        do throws(HTTPServerError) {
            try epoll.add(wakeDescriptor, for: .readable)
            try epoll.add(listener.socket.descriptor, for: [.readable, .exclusive])
        } catch {
            _ = close(wakeDescriptor)
            throw error
        }
    }

    /// Wakes the loop from another thread; for the worker pool.
    var wake: @Sendable () -> Void {
        let waker = waker
        return { waker.wake() }
    }

    /// Asks the loop to shut down; returns at once. ``run()`` returns when it is done.
    func requestShutdown(gracePeriod: Duration) {
        shutdownRequest.withLock { $0 = $0 ?? gracePeriod }
        waker.wake()
    }

    /// The `eventfd` other threads wake the loop with, written once per batch of wake-ups:
    /// the loop clears the flag before it looks at what woke it, so nothing is missed.
    private final class Waker: Sendable {
        let descriptor: Int32
        let pending = Atomic<Bool>(false)

        init(descriptor: Int32) {
            self.descriptor = descriptor
        }

        func wake() {
            guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
            var one: UInt64 = 1
            _ = withUnsafeBytes(of: &one) { write(descriptor, $0.baseAddress, 8) }
        }
    }

    // MARK: - The loop

    /// Runs until shutdown has finished. Call on a dedicated thread.
    func run() {
        while true {
            let timeout = waitTimeout(now: clock.now)
            do {
                try epoll.wait(timeoutMilliseconds: timeout, into: &ready)
            } catch {
                logger.critical("event loop failed", [("error", error.description)])
                break
            }
            var acceptable = false
            for readiness in ready {
                switch readiness.descriptor {
                case wakeDescriptor: handleWakeUp()
                case listener.socket.descriptor: acceptable = true
                default: handleConnection(readiness.descriptor, readiness.events)
                }
            }
            // Accepting last: a descriptor closed above may be reused by a new connection,
            // and must not receive an event of this batch that was meant for the old one.
            if acceptable && listening { acceptConnections() }
            expireDeadlines()
            let load = pool.load
            statistics.setQueued(load.queued, inHandlers: load.running)
            if stopping && finishedStopping() { break }
        }
        finish()
    }

    private func waitTimeout(now: ContinuousClock.Instant) -> Int32 {
        var nearest = heap.first?.instant
        for candidate in [acceptPausedUntil, graceDeadline] {
            if let candidate, nearest.map({ candidate < $0 }) ?? true { nearest = candidate }
        }
        guard let nearest else { return -1 }
        return (nearest - now).pollMilliseconds
    }

    private func moment() -> HTTPConnection.Moment {
        let now = clock.now
        guard configuration.sendsDateHeader else { return HTTPConnection.Moment(now: now, httpDate: nil) }
        let second = time(nil)
        if second != dateSecond || dateText == nil {
            dateSecond = second
            dateText = WallClock.httpDate()
        }
        return HTTPConnection.Moment(now: now, httpDate: dateText)
    }

    // MARK: - Wake-ups: answers and shutdown

    private func handleWakeUp() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(wakeDescriptor, $0.baseAddress, 8) }
        waker.pending.store(false, ordering: .releasing)
        let completions = pool.takeCompletions(for: index)
        if !completions.isEmpty {
            let moment = moment()
            for completion in completions {
                guard let slot = slots[completion.descriptor], slot.generation == completion.generation else { continue }
                slot.connection.handlerAnswered(completion.response, at: moment)
                update(completion.descriptor)
            }
        }
        if !stopping, let grace = shutdownRequest.withLock({ $0 }) {
            beginShutdown(gracePeriod: grace)
        }
    }

    private func beginShutdown(gracePeriod: Duration) {
        stopping = true
        graceDeadline = clock.now + gracePeriod
        stopListening()
        for descriptor in Array(slots.keys) {
            slots[descriptor]?.connection.beginShutdown()
            update(descriptor)
        }
    }

    private func stopListening() {
        guard listening else { return }
        listening = false
        epoll.remove(listener.socket.descriptor)
        listener.release()
    }

    private func finishedStopping() -> Bool {
        // Handlers still running for connections already gone are the server's to wait
        // for, not this loop's: it has nothing left to deliver.
        if slots.isEmpty { return true }
        guard let graceDeadline, clock.now >= graceDeadline else { return false }
        logger.warning("grace period over; closing connections", [("connections", String(slots.count))])
        let now = clock.now
        for descriptor in Array(slots.keys) {
            slots[descriptor]?.connection.failed(at: now)
            update(descriptor)
        }
        return true
    }

    private func finish() {
        stopListening()
        for descriptor in Array(slots.keys) { closeSlot(descriptor) }
    }

    /// Closes the wake-up descriptor; only once no worker can write to it any more (the
    /// server calls this after the pool has finished), since a closed number could by then
    /// belong to another file.
    func releaseWakeUp() {
        _ = close(wakeDescriptor)
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<Self.acceptsPerWakeUp {
            let accepted: (socket: Socket, remoteAddress: String)
            do {
                accepted = try listener.socket.accept()
            } catch .timedOut {
                return
            } catch {
                if case .systemCall(_, let code) = error, code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    // Out of descriptors or memory: stop watching the listener for a moment
                    // rather than spin on it; closing connections frees some.
                    pauseAccepting()
                    noteRefusal("accept_failed")
                    statistics.refused("accept_failed", at: clock.now)
                    return
                }
                logger.debug("accept failed", [("error", error.description)])
                continue
            }
            let socket = accepted.socket
            guard statistics.reserveConnection(limit: configuration.maxConnections) else {
                refuse(socket, reason: "max_connections", message: "The server has too many connections; retry shortly.")
                continue
            }
            do throws(HTTPServerError) {
                try socket.setNonBlocking()
                try socket.setNoDelay()
                try epoll.add(socket.descriptor, for: .readable)
            } catch {
                logger.debug("could not set up a connection", [("error", error.description)])
                socket.close()
                statistics.connectionClosed()
                continue
            }
            nextGeneration += 1
            let connection = HTTPConnection(configuration: configuration, remoteAddress: accepted.remoteAddress, at: clock.now)
            slots[socket.descriptor] = Slot(connection: connection, generation: nextGeneration, registered: .readable)
            update(socket.descriptor)
        }
    }

    private func pauseAccepting() {
        guard acceptPausedUntil == nil, listening else { return }
        acceptPausedUntil = clock.now + Self.acceptPause
        // An exclusive registration cannot be modified, only removed and added again.
        epoll.remove(listener.socket.descriptor)
    }

    private func resumeAcceptingIfDue(force: Bool = false) {
        guard let until = acceptPausedUntil, force || clock.now >= until else { return }
        acceptPausedUntil = nil
        if listening { try? epoll.add(listener.socket.descriptor, for: [.readable, .exclusive]) }
    }

    /// Answers `503` with `Retry-After` without reading the request, then closes: the
    /// connection is never held. Best effort and non-blocking: a 503 fits in any send
    /// buffer, and a client that cannot take even that is not waited for.
    private func refuse(_ socket: Socket, reason: String, message: String) {
        statistics.refused(reason, at: clock.now)
        statistics.answered(status: .serviceUnavailable)
        noteRefusal(reason)
        var response = HTTPResponse.error(status: .serviceUnavailable, code: reason, message: message)
        response.headers.add(name: "Retry-After", value: String(configuration.retryAfterSeconds))
        let bytes = response.serialized(requestID: RequestID.generate(), close: true, date: moment().httpDate)
        _ = bytes.withUnsafeBytes { send(socket.descriptor, $0.baseAddress, $0.count, Platform.sendFlags | Int32(MSG_DONTWAIT)) }
        socket.shutdown(reading: false, writing: true)
        // Discard what already arrived, so close() is less likely to reset the connection
        // before the client has read the 503.
        for _ in 0..<4 {
            let count = scratch.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count <= 0 { break }
        }
        socket.close()
    }

    private func noteRefusal(_ reason: String) {
        guard let counts = refusalLog.record(reason, at: clock.now) else { return }
        var fields = counts.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) }
        fields.append(("open_connections", String(slots.count)))
        logger.warning("refusing connections or requests", fields)
    }

    // MARK: - Connections

    private func handleConnection(_ descriptor: Int32, _ events: Epoll.Events) {
        guard let slot = slots[descriptor] else { return }
        // Readiness the connection does not want now: its interest was kept lazily.
        let unwanted = events.contains(.readable) && !slot.connection.wantsRead
        if events.contains(.readable) && slot.connection.wantsRead {
            let moment = moment()
            for _ in 0..<Self.readsPerWakeUp {
                let count = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    slot.connection.received(scratch[0..<count], at: moment)
                    if count < scratch.count || !slot.connection.wantsRead { break }
                } else if count == 0 {
                    slot.connection.receivedEndOfInput()
                    break
                } else {
                    let code = errno
                    if code == EINTR { continue }
                    if code != EAGAIN && code != EWOULDBLOCK { slot.connection.failed(at: moment.now) }
                    break
                }
            }
        } else if !events.intersection([.error, .hangup]).isEmpty && !events.contains(.writable) {
            slot.connection.failed(at: clock.now)
        }
        update(descriptor, exactInterest: unwanted)
    }

    /// After any event on a connection: acts on its effects, writes what it can, then
    /// brings the epoll interest and the deadline heap in line with its new state.
    ///
    /// Interest in reading is dropped lazily: a connection waiting for its handler stays
    /// registered for reading until a readiness it does not want actually arrives
    /// (`exactInterest`), which for a client that does not pipeline is never. That saves
    /// two `epoll_ctl` calls per request.
    private func update(_ descriptor: Int32, exactInterest: Bool = false) {
        guard let slot = slots[descriptor] else { return }
        var effects = slot.connection.takeEffects()
        while true {
            for effect in effects {
                apply(effect, to: slot, descriptor: descriptor)
            }
            flush(slot, descriptor: descriptor)
            effects = slot.connection.takeEffects()
            if effects.isEmpty { break }
        }
        statistics.addBufferedResponseBytes(slot.connection.pendingOutputBytes - slot.accountedOutput)
        slot.accountedOutput = slot.connection.pendingOutputBytes
        if slot.connection.isClosed {
            closeSlot(descriptor)
            return
        }
        var interest: Epoll.Events = []
        if slot.connection.wantsRead || (!exactInterest && slot.registered.contains(.readable)) { interest.insert(.readable) }
        if slot.connection.wantsWrite { interest.insert(.writable) }
        if interest != slot.registered {
            do {
                try epoll.modify(descriptor, for: interest)
                slot.registered = interest
            } catch {
                slot.connection.failed(at: clock.now)
                closeSlot(descriptor)
                return
            }
        }
        if let deadline = slot.connection.deadline, deadline != slot.scheduled {
            heap.push(deadline, DeadlineKey(descriptor: descriptor, generation: slot.generation))
            slot.scheduled = deadline
        } else if slot.connection.deadline == nil {
            slot.scheduled = nil
        }
    }

    private func apply(_ effect: HTTPConnection.Effect, to slot: Slot, descriptor: Int32) {
        switch effect {
        case .dispatch(let request):
            if let nonBlockingHandler, let response = nonBlockingHandler(request) {
                slot.connection.handlerAnswered(response, at: moment())
                return
            }
            let job = WorkerPool.Job(loop: index, descriptor: descriptor, generation: slot.generation, request: request)
            if !pool.submit(job) {
                let reason = stopping ? "shutting_down" : "server_busy"
                var response = HTTPResponse.error(
                    status: .serviceUnavailable, code: reason,
                    message: stopping ? "The server is shutting down; retry shortly." : "The server is busy; retry shortly.")
                response.headers.add(name: "Retry-After", value: String(configuration.retryAfterSeconds))
                statistics.refused(reason, at: clock.now)
                noteRefusal(reason)
                slot.connection.handlerAnswered(response, forceClose: true, at: moment())
            }
        case .access(let access):
            statistics.answered(status: access.status)
            logAccess(access)
        case .rejected(let reason):
            statistics.rejected(reason)
        case .shutDownWriting:
            Socket(descriptor: descriptor).shutdown(reading: false, writing: true)
        }
    }

    /// Writes pending output until the socket's buffer is full or nothing is left.
    private func flush(_ slot: Slot, descriptor: Int32) {
        while slot.connection.wantsWrite {
            let sent = slot.connection.withPendingOutput { buffer in
                send(descriptor, buffer.baseAddress, buffer.count, Platform.sendFlags)
            } ?? 0
            if sent > 0 {
                slot.connection.wrote(sent, at: moment())
                continue
            }
            let code = errno
            if sent < 0 && code == EINTR { continue }
            if sent < 0 && (code == EAGAIN || code == EWOULDBLOCK) { return }
            // The peer reset the connection or stopped existing; nobody is left to answer.
            slot.connection.failed(at: clock.now)
            return
        }
    }

    private func closeSlot(_ descriptor: Int32) {
        guard let slot = slots.removeValue(forKey: descriptor) else { return }
        statistics.addBufferedResponseBytes(-slot.accountedOutput)
        epoll.remove(descriptor)
        Socket(descriptor: descriptor).close()
        statistics.connectionClosed()
        resumeAcceptingIfDue(force: true)
    }

    private func expireDeadlines() {
        resumeAcceptingIfDue()
        var now = clock.now
        while let entry = heap.popDue(at: now) {
            let key = entry.key
            guard let slot = slots[key.descriptor], slot.generation == key.generation, slot.scheduled == entry.instant
            else { continue }
            slot.scheduled = nil
            slot.connection.deadlinePassed(at: moment())
            update(key.descriptor)
            now = clock.now
        }
        if heap.count > 2 * slots.count + 1024 {
            heap.compact { entry in
                guard let slot = slots[entry.key.descriptor] else { return false }
                return slot.generation == entry.key.generation && slot.scheduled == entry.instant
            }
        }
        if let counts = refusalLog.flush(at: now) {
            logger.warning("refusing connections or requests", counts.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) })
        }
    }

    /// One access line per request. The path goes in without its query, which may hold
    /// identifiers; bodies and header values never go in.
    private func logAccess(_ access: HTTPConnection.Access) {
        // Refusals are logged as a sampled summary instead (see RefusalLogSampler).
        guard access.reason != "refused" else { return }
        let level: Logger.Level = access.status.code >= 500 ? .error : .info
        guard logger.isEnabled(level) else { return }
        let elapsed = access.started.map { access.finished - $0 } ?? .zero
        var fields = [("method", access.method), ("path", access.path), ("status", String(access.status.code)),
                      ("bytes", String(access.bodyBytes)), ("duration_ms", elapsed.formattedMilliseconds)]
        if let reason = access.reason { fields.append(("reason", reason)) }
        fields.append(("request_id", access.requestID))
        logger.log(level, "request", fields)
    }
}

/// The listening socket all loops watch. Each loop stops watching it when it stops; the
/// last one closes it, so no loop can accept on a closed, or by then reused, descriptor.
final class SharedListener: Sendable {
    let socket: Socket
    private let watchers: Atomic<Int>

    init(socket: Socket, loops: Int) throws(HTTPServerError) {
        try socket.setNonBlocking()
        self.socket = socket
        watchers = Atomic(loops)
    }

    /// One loop no longer watches the socket.
    func release() {
        if watchers.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { socket.close() }
    }
}
#endif
