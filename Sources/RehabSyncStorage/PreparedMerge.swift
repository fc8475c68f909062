import RehabSyncCore

/// A merge worked out ahead of the writer: the record as a snapshot held it, the joined
/// state, its encoding and its placement. Joining, encoding and checking a state take
/// longer than storing it, and only storing needs the single writer; a server prepares a
/// push on a reader, in parallel with other pushes, and the writer then stores what is
/// still current (``RecordTransaction/apply(_:)``).
public struct PreparedMerge: Sendable {
    public let key: RecordKey
    /// The state that arrived.
    public let incoming: RecordState
    /// The record as the snapshot held it; nil if it did not exist.
    public let stored: StoredRecord?
    /// The stored state, decoded; nil when the record did not exist, or when no check
    /// asked for it and the incoming state was found to be the join without decoding it
    /// (``RecordState/isJoinResult(intoStored:)``).
    public let before: RecordState?
    /// The join of the stored and the incoming state.
    public let after: RecordState
    /// The stored record's row, for the writer's update.
    let rowID: Int64?
    /// Placement of `after` by the store's rule (``RecordStore/init(path:replicaID:placement:placementReads:configuration:extraMigrations:)``),
    /// grants not included; when nothing changed, the stored record's placement. Public
    /// so that a caller checking the merge need not work it out again.
    public let placement: RecordPlacement
    /// Canonical encoding of `after`; empty when nothing changed.
    let bytes: [UInt8]

    /// Whether `after` is in conflict, and the newest clock reading of the incoming state,
    /// when the merge changed the record (false and zero otherwise): what the batch insert
    /// reads besides the bytes (``NewRecordSource``). Worked out here, once: computed in
    /// the writer from a merge of a chunk, each cost a copy of the whole merge first.
    let inConflict: Bool
    let incomingNewestClock: HLCTimestamp

    /// False when the incoming state added nothing (a repeated push or an echo). Kept
    /// rather than recomputed: comparing whole states is not free, and it is asked often.
    public let changed: Bool

    /// Prepares the merge of `incoming` against what `queries` sees, placing it by `rule`.
    /// Without `decodingStored`, an incoming state that has seen all the stored one has
    /// (and holds what it saw of it) is taken as the join without decoding the stored
    /// state, which `before` then lacks.
    init(_ incoming: IncomingRecord, queries: RecordQueries, rule: RecordPlacement.Rule, decodingStored: Bool = true) throws {
        key = incoming.key
        self.incoming = incoming.state
        let row = try queries.row(for: incoming.key)
        rowID = row?.rowID
        stored = row?.record
        if !decodingStored, let stored, incoming.state.isJoinResult(intoStored: stored.stateBytes) {
            before = nil
            after = incoming.state
            let encoded = incoming.canonicalBytes ?? after.canonicalBytes
            changed = encoded != stored.stateBytes
            placement = changed ? try rule(key.collection, after) : RecordPlacement(patient: stored.patient, careUnits: stored.careUnits)
            bytes = changed ? encoded : []
            inConflict = changed && after.isInConflict
            incomingNewestClock = changed ? incoming.state.newestClock : .zero
            return
        }
        before = try stored?.state()
        after = before.map { $0.joined(with: incoming.state) } ?? incoming.state
        changed = stored == nil || after != before
        if changed {
            placement = try rule(key.collection, after)
            // A new record is the incoming state itself: kept as it arrived when that was
            // already its canonical encoding.
            bytes = (stored == nil ? incoming.canonicalBytes : nil) ?? after.canonicalBytes
            inConflict = after.isInConflict
            incomingNewestClock = incoming.state.newestClock
        } else {
            placement = RecordPlacement(patient: stored?.patient, careUnits: stored?.careUnits ?? [])
            bytes = []
            inConflict = false
            incomingNewestClock = .zero
        }
    }
}
