import RehabSyncCore

// The JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) of each field kind, written so
// that every value it allows passes ``RecordValidator``'s check of the kind. Where the
// check cannot be said in JSON Schema (a byte length, a check digit, membership in
// reference data that may change), the schema is the stricter side and says so in its
// description: a value the schema allows is never refused for its form.

extension FieldKind {
    /// An HSA-id: `SE`, a 10- or 12-digit organisation number, `-`, letters or digits.
    public static let hsaIDPattern = "^SE[0-9]{10}([0-9]{2})?-[A-Za-z0-9]+$"
    /// A record id (see ``RecordValidator/isValidRecordID(_:)``).
    public static let recordIDPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
    /// A KVÅ code that can be reported: two letters, three digits, not ending in `000`.
    public static let kvaCodePattern = "^[A-Z]{2}(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})$"
    /// A real date `YYYY-MM-DD` in years 1–9999. Leaves out 29 February: a pattern cannot
    /// tell leap years, and the schema must not allow a date the server refuses.
    public static let datePattern = "^" + dateBody + "$"
    /// An instant as ``ISODateTime`` reads it, with a real date (29 February left out).
    public static let dateTimePattern = "^" + dateBody
        + "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
    /// A field or answer item name (see ``RecordState/isValidFieldName(_:)``).
    public static let fieldNamePattern = "^[A-Za-z][A-Za-z0-9_]{0,\(RecordState.maximumFieldNameLength - 1)}$"

    private static let dateBody = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-"
        + "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"

    /// The JSON Schema of one HSA-id.
    public static var hsaIDSchema: JSONValue {
        .object(["type": .string("string"), "pattern": .string(hsaIDPattern), "maxLength": .integer(Int64(HSAID.maximumLength)),
                 "description": .string("HSA-id")])
    }

    /// The JSON Schema of a value of this kind. With reference data, KVÅ codes are limited
    /// to the list in force and answers to the items of the loaded questionnaires.
    public func jsonSchema(reference: ReferenceData?) -> JSONValue {
        switch self {
        case .text(let maximumBytes):
            // Four bytes is the longest UTF-8 character: any text of maximumBytes / 4
            // characters fits, whatever it is written in.
            return .object([
                "type": .string("string"), "minLength": .integer(1), "maxLength": .integer(Int64(maximumBytes / 4)),
                "description": .string("1 to \(maximumBytes) bytes of UTF-8; maxLength is the character count that always fits"),
            ])
        case .enumeration(let values):
            return .object(["type": .string("string"), "enum": .array(values.map(JSONValue.string))])
        case .date:
            return .object(["type": .string("string"), "pattern": .string(Self.datePattern), "description": .string("YYYY-MM-DD")])
        case .dateTime:
            return .object(["type": .string("string"), "pattern": .string(Self.dateTimePattern),
                            "description": .string("YYYY-MM-DDTHH:MM:SS[.fraction] with Z or ±HH:MM")])
        case .hsaID:
            return Self.hsaIDSchema
        case .hsaIDList:
            return .object(["type": .string("array"), "minItems": .integer(1), "uniqueItems": .bool(true), "items": Self.hsaIDSchema])
        case .patientIdentifier:
            var patterns = ["^[0-9]{12}$"]
            patterns += (reference?.reserveNumberFormats ?? []).map { "^" + $0.pattern + "$" }
            return .object([
                "type": .string("string"), "pattern": .string(patterns.count == 1 ? patterns[0] : patterns.map { "(\($0))" }.joined(separator: "|")),
                "description": .string("a personnummer or samordningsnummer in its 12-digit form (date and check digit are checked beyond the pattern), or a reserve number of the region's formats"),
            ])
        case .kvaCode:
            if let list = reference?.kvaList {
                return .object(["type": .string("string"), "enum": .array(list.entries.map { .string($0.code.value) }),
                                "description": .string("a code of the KVÅ list in force (version \(list.version))")])
            }
            return .object(["type": .string("string"), "pattern": .string(Self.kvaCodePattern)])
        case .boolean:
            return .object(["type": .string("boolean")])
        case .recordReference:
            return .object(["type": .string("string"), "pattern": .string(Self.recordIDPattern)])
        case .recordReferenceList:
            return .object(["type": .string("array"), "uniqueItems": .bool(true), "items": .object(["type": .string("string"), "pattern": .string(Self.recordIDPattern)])])
        case .answers:
            return Self.answersSchema(reference: reference)
        case .object(let members):
            var properties: [String: JSONValue] = [:]
            for (name, kind) in members { properties[name] = kind.jsonSchema(reference: reference) }
            return .object(["type": .string("object"), "additionalProperties": .bool(false), "properties": .object(properties),
                            "required": .array(members.keys.sorted().map(JSONValue.string))])
        }
    }

    /// Answers: an object from item id to an integer. With questionnaires loaded, the item
    /// ids and scales of every loaded definition (which items belong to which questionnaire
    /// is a rule across fields, checked by the server).
    private static func answersSchema(reference: ReferenceData?) -> JSONValue {
        guard let reference else {
            return .object(["type": .string("object"), "propertyNames": .object(["pattern": .string(fieldNamePattern)]),
                            "additionalProperties": .object(["type": .string("integer")])])
        }
        var scales: [String: ClosedRange<Int64>?] = [:]
        for definition in reference.questionnaires.values {
            for item in definition.items {
                guard let known = scales[item.id] else {
                    scales[item.id] = item.scale
                    continue
                }
                // An item two definitions scale differently: the values both allow.
                scales[item.id] = known.flatMap { known in
                    let lower = max(known.lowerBound, item.scale.lowerBound)
                    let upper = min(known.upperBound, item.scale.upperBound)
                    return lower <= upper ? lower...upper : nil
                }
            }
        }
        var properties: [String: JSONValue] = [:]
        for (item, scale) in scales {
            guard let scale else { continue }
            // The scale's values listed: records keep numbers as written, and an answer
            // written 3.0 is no integer to the validator, though JSON Schema's integer
            // would allow it.
            properties[item] = scale.count <= 101
                ? .object(["enum": .array(scale.map(JSONValue.integer))])
                : .object(["type": .string("integer"), "minimum": .integer(scale.lowerBound), "maximum": .integer(scale.upperBound)])
        }
        return .object([
            "type": .string("object"), "additionalProperties": .bool(false), "properties": .object(properties),
            "description": .string("item id to an integer on the item's scale, for the items of the loaded questionnaire definitions; the items must belong to the assessment's questionnaire"),
        ])
    }
}
