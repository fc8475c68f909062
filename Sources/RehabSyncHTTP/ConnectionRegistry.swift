import Synchronization

/// The connections workers are serving, so shutdown can reach them: idle keep-alive
/// connections are closed at once, busy ones when the grace period ends.
///
/// Descriptors are shut down (not closed) here and only while the lock is held, and
/// workers unregister before they close: so a descriptor number reused by a new
/// connection can never be hit by mistake.
final class ConnectionRegistry: Sendable {
    private enum Phase {
        case idle
        case busy
    }

    private struct State {
        var connections: [Int32: Phase] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    /// Whether shutdown has begun; responses then say `Connection: close`.
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// How many connections are being served.
    var count: Int { state.withLock { $0.connections.count } }

    func register(_ socket: Socket) {
        state.withLock { $0.connections[socket.descriptor] = .busy }
    }

    func unregister(_ socket: Socket) {
        _ = state.withLock { $0.connections.removeValue(forKey: socket.descriptor) }
    }

    /// Marks a connection as waiting for a request. Returns false when shutting down: a
    /// kept-alive connection should then close instead of waiting.
    func markIdle(_ socket: Socket) -> Bool {
        state.withLock { state in
            state.connections[socket.descriptor] = .idle
            return !state.shuttingDown
        }
    }

    /// Marks a connection as receiving or serving a request.
    func markBusy(_ socket: Socket) {
        state.withLock { $0.connections[socket.descriptor] = .busy }
    }

    /// Starts shutdown: idle connections are shut down, which wakes their workers' waits.
    func beginShutdown() {
        state.withLock { state in
            state.shuttingDown = true
            for (descriptor, phase) in state.connections where phase == .idle {
                Socket(descriptor: descriptor).shutdown(reading: true, writing: true)
            }
        }
    }

    /// Ends every connection, busy or not: the grace period is over.
    func shutDownAll() {
        state.withLock { state in
            state.shuttingDown = true
            for descriptor in state.connections.keys {
                Socket(descriptor: descriptor).shutdown(reading: true, writing: true)
            }
        }
    }
}
