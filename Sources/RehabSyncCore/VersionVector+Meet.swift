extension VersionVector {
    /// The pointwise minimum: the history both have seen.
    public func meet(with other: VersionVector) -> VersionVector {
        VersionVector(entries.compactMap { entry in
            let counter = min(entry.counter, other[entry.replica])
            return counter > 0 ? (entry.replica, counter) : nil
        })
    }
}
