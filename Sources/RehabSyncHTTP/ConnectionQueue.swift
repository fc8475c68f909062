import Dispatch
import Synchronization

/// The bounded hand-off between the acceptor thread and the workers.
///
/// A full queue refuses instead of blocking: the acceptor must stay free to answer `503`
/// quickly, and waiting clients are better told to retry than left hanging.
final class ConnectionQueue: Sendable {
    struct Item: Sendable {
        var socket: Socket
        var remoteAddress: String
    }

    private struct State {
        var items: [Item] = []
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())
    /// Counts items plus one extra signal after closing, so blocked workers wake up.
    private let available = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity
    }

    /// Enqueues unless full or closed; false means the caller must deal with the connection.
    func push(_ item: Item) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, state.items.count < capacity else { return false }
            state.items.append(item)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Blocks until an item is available; nil once the queue is closed and empty.
    func pop() -> Item? {
        available.wait()
        let item = state.withLock { state -> Item? in
            state.items.isEmpty ? nil : state.items.removeFirst()
        }
        if item == nil {
            // Woken by close(): pass the wake-up on so every waiting worker sees it.
            available.signal()
        }
        return item
    }

    /// Refuses further pushes, wakes waiting workers, and returns the items nobody took.
    func close() -> [Item] {
        let remaining = state.withLock { state -> [Item] in
            state.closed = true
            defer { state.items = [] }
            return state.items
        }
        available.signal()
        return remaining
    }
}
