/// A binary min-heap of deadlines, the soonest first, so the event loop can compute its
/// `epoll_wait` timeout from one look at the top.
///
/// Entries are never removed from the middle: when a connection's deadline changes, the
/// loop pushes a new entry and the old one becomes stale; the loop recognises stale
/// entries when they surface (their connection has moved on) and skips them. That keeps
/// every change O(log n) without an index into the heap.
struct DeadlineHeap<Key: Sendable>: Sendable {
    struct Entry: Sendable {
        var instant: ContinuousClock.Instant
        var key: Key
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// The soonest deadline, if any.
    var first: Entry? { entries.first }

    mutating func push(_ instant: ContinuousClock.Instant, _ key: Key) {
        entries.append(Entry(instant: instant, key: key))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].instant < entries[parent].instant else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the soonest entry if it is due at `now`.
    mutating func popDue(at now: ContinuousClock.Instant) -> Entry? {
        guard let top = entries.first, top.instant <= now else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return top }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].instant < entries[smallest].instant { smallest = left }
            if right < entries.count && entries[right].instant < entries[smallest].instant { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    /// Rebuilds the heap from the entries `keep` accepts; drops stale entries in bulk when
    /// they have piled up.
    mutating func compact(keeping keep: (Entry) -> Bool) {
        let kept = entries.filter(keep)
        entries = []
        entries.reserveCapacity(kept.count)
        for entry in kept { push(entry.instant, entry.key) }
    }
}
