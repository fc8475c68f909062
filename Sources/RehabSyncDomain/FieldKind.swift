/// What a field may hold. Checking is pure: identifiers, codes and dates are parsed, and
/// anything that needs reference data (the KVÅ list, questionnaire definitions) is checked
/// by ``RecordValidator``.
///
/// Not `indirect`: `object` nests kinds through a dictionary, which is on the heap already.
/// An indirect enum boxes every case, so the validator's copy of a field's kind, for every
/// value of every pushed record, was an atomic increment and decrement of a box that all
/// worker threads share; now only `enumeration` and `object` hold a reference at all.
public enum FieldKind: Sendable {
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
