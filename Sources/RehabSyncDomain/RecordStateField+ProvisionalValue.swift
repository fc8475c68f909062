import RehabSyncCore

extension RecordState.Field {
    /// The value of ``RecordState/Field/provisional``, read in place where the field has
    /// one sibling, as it nearly always has: the general case copies out the whole winning
    /// sibling (value and author), and placement asks this twice for every pushed record.
    var provisionalValue: JSONValue {
        siblings.count == 1 ? siblings[0].value : provisional.value
    }
}
