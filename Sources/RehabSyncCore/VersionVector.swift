/// A causal context: for each replica, the highest counter of its writes that this
/// state has seen. A replica that is absent has been seen up to counter 0.
///
/// Entries are kept sorted by replica with no zero counters, so two vectors that mean
/// the same thing are equal values and encode to equal bytes. Vectors are small (one
/// entry per replica that ever wrote the record), so a sorted array beats a hash map.
public struct VersionVector: Hashable, Sendable {
    /// One `replica -> counter` pair.
    public struct Entry: Hashable, Sendable {
        public let replica: ReplicaID
        public let counter: Int64
    }

    public private(set) var entries: [Entry]

    /// The empty context: nothing seen.
    public init() { entries = [] }

    /// Builds a vector from pairs; zero counters are dropped. Duplicate replicas keep
    /// their highest counter.
    public init(_ pairs: [(ReplicaID, Int64)]) {
        entries = []
        for (replica, counter) in pairs { raise(replica, to: counter) }
    }

    /// The counter seen for `replica`, 0 if none.
    public subscript(replica: ReplicaID) -> Int64 {
        guard let index = position(of: replica) else { return 0 }
        return entries[index].counter
    }

    /// Whether the write `dot` is part of this history.
    public func contains(_ dot: Dot) -> Bool {
        self[dot.replica] >= dot.counter
    }

    /// Records that everything of `replica` up to `counter` has been seen; never lowers.
    public mutating func raise(_ replica: ReplicaID, to counter: Int64) {
        guard counter > 0 else { return }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].replica < replica { low = middle + 1 } else { high = middle }
        }
        if low < entries.count, entries[low].replica == replica {
            if entries[low].counter < counter { entries[low] = Entry(replica: replica, counter: counter) }
        } else {
            entries.insert(Entry(replica: replica, counter: counter), at: low)
        }
    }

    /// Adds `replica` seen up to `counter` (above 0), `replica` being greater than every
    /// replica held: how a reader that has checked the order builds a vector in one pass,
    /// without a search or an insert per entry. The order is the caller's promise.
    mutating func appendGreatest(_ replica: ReplicaID, _ counter: Int64) {
        if entries.isEmpty { entries.reserveCapacity(8) }
        entries.append(Entry(replica: replica, counter: counter))
    }

    /// The pointwise maximum: the history that includes both.
    public func merged(with other: VersionVector) -> VersionVector {
        var result: [Entry] = []
        result.reserveCapacity(max(entries.count, other.entries.count))
        var left = 0
        var right = 0
        while left < entries.count || right < other.entries.count {
            if right == other.entries.count
                || (left < entries.count && entries[left].replica < other.entries[right].replica) {
                result.append(entries[left])
                left += 1
            } else if left == entries.count || other.entries[right].replica < entries[left].replica {
                result.append(other.entries[right])
                right += 1
            } else {
                let counter = max(entries[left].counter, other.entries[right].counter)
                result.append(Entry(replica: entries[left].replica, counter: counter))
                left += 1
                right += 1
            }
        }
        var vector = VersionVector()
        vector.entries = result
        return vector
    }

    /// Compares two histories.
    public func compare(to other: VersionVector) -> CausalOrder {
        var someGreater = false
        var someLess = false
        var left = 0
        var right = 0
        while left < entries.count || right < other.entries.count {
            if right == other.entries.count
                || (left < entries.count && entries[left].replica < other.entries[right].replica) {
                someGreater = true
                left += 1
            } else if left == entries.count || other.entries[right].replica < entries[left].replica {
                someLess = true
                right += 1
            } else {
                if entries[left].counter > other.entries[right].counter { someGreater = true }
                if entries[left].counter < other.entries[right].counter { someLess = true }
                left += 1
                right += 1
            }
        }
        switch (someGreater, someLess) {
        case (false, false): return .equal
        case (false, true): return .before
        case (true, false): return .after
        case (true, true): return .concurrent
        }
    }

    private func position(of replica: ReplicaID) -> Int? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].replica < replica { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].replica == replica ? low : nil
    }
}
