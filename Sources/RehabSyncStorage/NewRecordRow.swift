import RehabSyncCore

/// A record new to a store, ready to be inserted with others in one statement
/// (``RecordTransaction/insertNew(_:)``): its address, its placement by its own fields
/// (grants are added under the writer), its canonical bytes, and what it tells the
/// replica's clock and counter.
struct NewRecordRow {
    let key: RecordKey
    let placement: RecordPlacement
    let bytes: [UInt8]
    let inConflict: Bool
    let context: VersionVector
    let newestClock: HLCTimestamp

    /// A push's record the snapshot did not hold: the incoming state itself.
    init(_ merge: PreparedMerge) {
        key = merge.key
        placement = merge.placement
        bytes = merge.bytes
        inConflict = merge.after.isInConflict
        context = merge.incoming.context
        newestClock = merge.incoming.newestClock
    }

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
