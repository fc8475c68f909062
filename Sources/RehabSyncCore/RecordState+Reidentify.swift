extension RecordState {
    /// This state with the writes of `replica` after counter `mark` given new dots of
    /// `successor`, numbered on from `counter`; nil if it holds no such write.
    ///
    /// A replica restored from an old copy of its file has handed out again counters that
    /// the file it replaced had already used, so those writes could be taken for others.
    /// Moving them to a fresh identity keeps them apart; the context then claims no more
    /// of `replica` than `mark`, the part this file is known to share with the server, so
    /// writes the replaced file made after it are kept beside these rather than dropped.
    /// It claims no more than the writes of `replica` it still holds, so a record that
    /// only this copy has written claims nothing of the old identity.
    public func reassigningWrites(of replica: ReplicaID, after mark: Int64, to successor: ReplicaID,
                                  counter: inout Int64) -> RecordState? {
        var renumbered: [Int64: Int64] = [:]
        let old = fields.flatMap(\.siblings).map(\.dot).filter { $0.replica == replica && $0.counter > mark }
        guard !old.isEmpty else { return nil }
        // One write gives one dot to every field it sets: renumber dots, not siblings, in
        // their order, so that the fields of one write still share their dot.
        for dot in Set(old).sorted() {
            counter += 1
            renumbered[dot.counter] = counter
        }
        // Of `replica`, claim only writes this state still shows up to `mark`: a higher
        // claim could cover writes the replaced file made after the copy, which this file
        // never saw. Claiming less can only show an old value beside a new one.
        let shown = fields.flatMap(\.siblings).map(\.dot).filter { $0.replica == replica && $0.counter <= mark }.map(\.counter).max() ?? 0
        var result = RecordState()
        var pairs = context.entries.map { entry in
            (entry.replica, entry.replica == replica ? min(entry.counter, shown) : entry.counter)
        }
        pairs.append((successor, counter))
        result.context = VersionVector(pairs)
        result.fields = fields.map { field in
            let siblings = field.siblings.map { sibling -> FieldSibling in
                guard sibling.dot.replica == replica, let new = renumbered[sibling.dot.counter] else { return sibling }
                return FieldSibling(value: sibling.value, dot: Dot(replica: successor, counter: new), hlc: sibling.hlc,
                                    author: sibling.author, wallMilliseconds: sibling.wallMilliseconds)
            }
            return Field(name: field.name, siblings: siblings.sorted { $0.dot < $1.dot })
        }
        return result
    }
}
