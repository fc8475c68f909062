import RehabSyncCore

/// A record new to a store, ready to be inserted with others in one statement
/// (``RecordTransaction/insertNew(_:)``): its address, its placement by its own fields
/// (grants are added under the writer), its canonical bytes, and what it tells the
/// replica's clock and counter.
struct NewRecordRow: NewRecordSource {
    let key: RecordKey
    let placement: RecordPlacement
    let bytes: [UInt8]
    let inConflict: Bool
    let context: VersionVector
    let newestClock: HLCTimestamp

    /// A pulled record that arrived as canonical bytes, placed by the fields its check
    /// decoded.
    init(_ key: RecordKey, _ canonical: CanonicalState, placement: RecordPlacement) {
        self.key = key
        self.placement = placement
        bytes = canonical.bytes
        inConflict = canonical.isInConflict
        context = canonical.context
        newestClock = canonical.newestClock
    }
}

/// What ``RecordTransaction/insertNew(_:)`` reads of a record new to the store.
protocol NewRecordSource {
    var key: RecordKey { get }
    /// Its placement by its own fields, grants not included.
    var placement: RecordPlacement { get }
    /// Its canonical encoding, stored as it is.
    var bytes: [UInt8] { get }
    var inConflict: Bool { get }
    /// The context and newest clock reading of the state that arrived, for the replica's
    /// counter and clock (``RecordTransaction/noteIncoming(context:newestClock:)``).
    var context: VersionVector { get }
    var newestClock: HLCTimestamp { get }
}

/// A push's record the snapshot did not hold: the incoming state itself. Only a merge
/// whose `stored` is nil is one (``RecordTransaction/applyNew(batch:)`` picks them); for
/// any other, `inConflict` and `newestClock` describe the incoming state alone, not the join.
extension PreparedMerge: NewRecordSource {
    var context: VersionVector { incoming.context }
    var newestClock: HLCTimestamp { incomingNewestClock }
}
