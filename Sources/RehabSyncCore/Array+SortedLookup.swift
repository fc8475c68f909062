extension Array {
    /// The element whose `key` equals `target`, by binary search in an array sorted by
    /// `key` with the same `<`.
    func sortedLookup<Key: Comparable>(_ target: Key, by key: (Element) -> Key) -> Element? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            let candidate = key(self[middle])
            if candidate == target { return self[middle] }
            if candidate < target { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}
