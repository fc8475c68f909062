/// Makes the ``DomainError`` of one record's validation: the collection and record are
/// fixed, the field, rule and message are given where a check fails.
///
/// A struct rather than a closure so that ``CollectionRules``, which keeps it, allocates
/// no closure context for every record of a push.
struct Refusal {
    let collection: String
    let recordID: String

    func callAsFunction(_ field: String?, _ rule: String, _ message: String) -> DomainError {
        DomainError(collection: collection, recordID: recordID, field: field, rule: rule, message: message)
    }
}
