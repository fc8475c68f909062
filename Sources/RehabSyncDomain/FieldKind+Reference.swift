// What a field kind is called and allows, in words for people: `rehabsync schema` and the
// README's reference print these, so they say what ``RecordValidator`` checks.

extension FieldKind {
    /// The kind's short name, such as `text`, `date` or `list of HSA-id`.
    public var typeName: String {
        switch self {
        case .text: "text"
        case .enumeration: "enumeration"
        case .date: "date"
        case .dateTime: "date-time"
        case .hsaID: "HSA-id"
        case .hsaIDList: "list of HSA-id"
        case .patientIdentifier: "patient identifier"
        case .kvaCode: "KVÅ code"
        case .boolean: "boolean"
        case .recordReference: "record id"
        case .recordReferenceList: "list of record id"
        case .answers: "answers"
        case .object: "object"
        }
    }

    /// What a value of this kind may be, in one line. With reference data, a KVÅ code's
    /// line names the list in force.
    public func allowedValues(reference: ReferenceData?) -> String {
        switch self {
        case .text(let maximumBytes):
            "1 to \(maximumBytes) bytes of UTF-8 text"
        case .enumeration(let values):
            "one of: " + values.joined(separator: ", ")
        case .date:
            "a real date, YYYY-MM-DD"
        case .dateTime:
            "an instant, YYYY-MM-DDTHH:MM:SS[.fraction] with Z or ±HH:MM"
        case .hsaID:
            "SE, a 10- or 12-digit organisation number, '-', letters or digits; at most \(HSAID.maximumLength) characters"
        case .hsaIDList:
            "a non-empty list of distinct HSA-ids"
        case .patientIdentifier:
            "a personnummer or samordningsnummer in its 12-digit form, or a reserve number of the region's formats"
        case .kvaCode:
            if let list = reference?.kvaList {
                "a code of the KVÅ list in force (version \(list.version), \(list.entries.count) codes)"
            } else {
                "two letters A-Z and three digits, not ending in 000, in the KVÅ list in force"
            }
        case .boolean:
            "true or false"
        case .recordReference:
            "1 to 128 ASCII letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
        case .recordReferenceList:
            "a list of distinct record ids (may be empty)"
        case .answers:
            "an object from item id to an integer on the item's scale, for the items of the questionnaire's definition"
        case .object(let members):
            "an object with exactly the members " + members.keys.sorted().joined(separator: ", ") + ", each required"
        }
    }
}
