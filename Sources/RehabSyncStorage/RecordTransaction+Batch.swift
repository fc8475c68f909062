import RehabSyncCore

extension RecordTransaction {
    /// ``apply(_:)`` for a merge prepared on a snapshot that did not hold the record,
    /// without looking the record up first: the insert finds out through the unique index
    /// on the record's address whether another write has created it since. Nil then, as
    /// from ``apply(_:)``: the merge must be prepared (and checked) again. A merge of a
    /// record the snapshot held goes through ``apply(_:)``.
    ///
    /// A push of new records spends a lookup per record under the single writer
    /// otherwise, for a race that is rare: two devices creating the same record at once.
    public mutating func applyNew(_ prepared: PreparedMerge) throws -> MergeResult? {
        guard prepared.stored == nil else { return try apply(prepared) }
        do {
            return try store(prepared)
        } catch let error as DatabaseError where error.resultCode == DatabaseError.Code.constraint {
            // SQLite aborts the failed statement only, which wrote nothing; the sequence
            // number is taken after the insert (``save``). Any other constraint is a fault.
            guard try queries.position(of: prepared.key) != nil else { throw error }
            return nil
        }
    }
}
