/// What a field may hold. Checking is pure: identifiers, codes and dates are parsed, and
/// anything that needs reference data (the KVÅ list, questionnaire definitions) is checked
/// by ``RecordValidator``.
public indirect enum FieldKind: Sendable {
    /// A string of 1 to `maximumBytes` UTF-8 bytes.
    case text(maximumBytes: Int)
    /// One of a fixed set of strings.
    case enumeration([String])
    /// A calendar date `YYYY-MM-DD`.
    case date
    /// An instant `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
    case dateTime
    /// An HSA-id.
    case hsaID
    /// A non-empty array of distinct HSA-ids.
    case hsaIDList
    /// A patient identifier in the canonical stored form (12 digits, or a reserve number).
    case patientIdentifier
    /// A KVÅ code; membership in the loaded list is checked by the validator.
    case kvaCode
    case boolean
    /// The id of another record.
    case recordReference
    /// An array of distinct record ids.
    case recordReferenceList
    /// Questionnaire answers: an object from item id to an integer scale value; checked
    /// against the definition by the validator.
    case answers
    /// An object whose members are all required and of the given kinds.
    case object([String: FieldKind])
}
