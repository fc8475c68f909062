import RehabSyncCore

/// Checks a write against the domain: on the replica before a local write, and on the
/// server for every record of a push batch. Pure; reference data is passed in.
///
/// Only values that the write introduces (siblings whose dot the stored state does not
/// hold) are checked against field kinds and reference data. Values already stored were
/// valid when they were accepted, and stay so when a newer KVÅ list or questionnaire
/// definition is loaded.
public struct RecordValidator: Sendable {
    public let reference: ReferenceData

    public init(reference: ReferenceData) {
        self.reference = reference
    }

    /// Record ids: 1 to 128 characters of ASCII letters, digits, `.`, `_`, `:` and `-`,
    /// starting with a letter or digit (UUIDs fit).
    public static func isValidRecordID(_ id: String) -> Bool {
        // In the string's own storage: every record of a push asks this, and copying the
        // bytes out to an array cost an allocation each time.
        var id = id
        return id.withUTF8 { bytes in
            guard let first = bytes.first, bytes.count <= 128, isAlphanumeric(first) else { return false }
            return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Validates the change from `before` (nil for a new record) to `after`.
    public func validate(collection collectionName: String, recordID: String,
                         before: RecordState?, after: RecordState) throws(DomainError) {
        var validPatients: Set<String> = []
        try validate(collection: collectionName, recordID: recordID, before: before, after: after, validPatients: &validPatients)
    }

    /// Validates one record of a batch, as ``validate(collection:recordID:before:after:)``
    /// does. `validPatients` carries the patient identifiers this validator has found valid
    /// for earlier records of the batch, and gains this record's: a patient's records
    /// travel together, and parsing a personnummer costs more than the rest of its field.
    /// The same validator (reference data and day) must be used for the whole batch.
    public func validate(collection collectionName: String, recordID: String, before: RecordState?, after: RecordState,
                         validPatients: inout Set<String>) throws(DomainError) {
        let refuse = Refusal(collection: collectionName, recordID: recordID)
        guard let collection = CollectionName.named(collectionName) else {
            throw refuse(nil, "collection.unknown", "no such collection; known: \(CollectionName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard Self.isValidRecordID(recordID) else {
            throw refuse(nil, "record.id", "record ids are 1-128 ASCII letters, digits, '.', '_', ':' or '-'")
        }
        let schema = CollectionSchema.of(collection)
        let isNew = before == nil || before?.fields.isEmpty == true
        // The fields this write touches, and for a new record those it sets to other than
        // null, by position in the schema.
        var changed = FieldSet()
        var set = FieldSet()
        var next = 0
        // By index rather than `for field in`: each element copied out is a retain and a
        // release of its strings and values, a few hundred instructions a record.
        let fields = after.fields
        for fieldIndex in fields.indices {
            let name = fields[fieldIndex].name
            guard let position = schema.position(of: name, from: next) else {
                throw refuse(name, "field.unknown", "\(collectionName) has no field of this name")
            }
            next = position + 1
            let siblings = fields[fieldIndex].siblings
            let stored = before?[name]
            for index in siblings.indices {
                // Only values this write introduces: a sibling the stored field holds was checked when it came.
                if let stored, stored.sibling(withDot: siblings[index].dot) != nil { continue }
                changed.insert(position)
                if case .null = siblings[index].value {
                    if schema.rules[position].requiredOnCreate { throw refuse(name, "required", "this field cannot be cleared") }
                    continue
                }
                try check(siblings[index].value, against: schema.rules[position].kind, field: name, validPatients: &validPatients,
                          refuse: refuse)
            }
            if isNew, !Self.provisionalIsNull(fields[fieldIndex]) { set.insert(position) }
        }
        // The first required field, in name order, that the new record leaves unset or null.
        if isNew, let missing = schema.required.subtracting(set).first {
            throw refuse(schema.names[missing], "required", "a new \(collectionName) record must set this field")
        }
        try CollectionRules(collection: collection, schema: schema, before: before, after: after, changed: changed, reference: reference, refuse: refuse).check()
    }

    /// Whether the value every replica shows for `field` is null; without copying the
    /// sibling where there is only one, as there nearly always is.
    private static func provisionalIsNull(_ field: RecordState.Field) -> Bool {
        if field.siblings.count == 1 {
            if case .null = field.siblings[0].value { return true }
            return false
        }
        if case .null = field.provisional.value { return true }
        return false
    }

    /// Brings values a clinician typed into their stored form before a local write:
    /// a personnummer becomes 12 digits, a reserve number is uppercased. Anything unparseable is left for
    /// ``validate(collection:recordID:before:after:)`` to refuse with a precise error.
    public func normalize(collection: String, values: [String: JSONValue]) -> [String: JSONValue] {
        var result = values
        if let text = values["patient"]?.stringValue,
            let parsed = try? reference.patientIdentifier(text) {
            result["patient"] = .string(parsed.canonical)
        }
        return result
    }

    private func check(_ value: JSONValue, against kind: FieldKind, field: String, validPatients: inout Set<String>,
                       refuse: Refusal) throws(DomainError) {
        switch kind {
        case .text(let maximum):
            guard let text = value.stringValue else { throw refuse(field, "type", "expected a string, not \(value.kindName)") }
            guard !text.isEmpty, text.utf8.count <= maximum else {
                throw refuse(field, "length", "must be 1 to \(maximum) bytes of text")
            }
        case .enumeration(let allowed):
            guard let text = value.stringValue else { throw refuse(field, "type", "expected a string, not \(value.kindName)") }
            // By bytes, never by Swift's canonical equivalence: records are compared and
            // hashed by their canonical bytes, so one code in two normalization forms
            // would be two codes.
            guard allowed.contains(where: { $0.hasSameBytes(as: text) }) else {
                // Swift's `==` on strings is canonical equivalence: equal here but not in
                // bytes means the same word written in another normalization form.
                if allowed.contains(text) { throw Self.notNFC(field, refuse) }
                throw refuse(field, "enum", "must be one of: \(allowed.joined(separator: ", "))")
            }
        case .date:
            guard let text = value.stringValue, CivilDate(iso: text) != nil else {
                throw refuse(field, "date", "must be a real date written YYYY-MM-DD")
            }
        case .dateTime:
            guard let text = value.stringValue, ISODateTime.isValid(text) else {
                throw refuse(field, "dateTime", "must be an instant written YYYY-MM-DDTHH:MM:SS with Z or an offset")
            }
        case .hsaID:
            guard let text = value.stringValue else { throw refuse(field, "type", "expected an HSA-id string") }
            do { _ = try HSAID(text) } catch { throw refuse(field, error.rule, error.message) }
        case .hsaIDList:
            guard let items = value.arrayValue, !items.isEmpty else {
                throw refuse(field, "type", "expected a non-empty array of HSA-ids")
            }
            // Most lists name one unit, which needs no set to be free of duplicates.
            var seen = Set<String>()
            for item in items {
                guard let text = item.stringValue else { throw refuse(field, "type", "expected HSA-id strings") }
                do { _ = try HSAID(text) } catch { throw refuse(field, error.rule, error.message) }
                guard items.count == 1 || seen.insert(text).inserted else { throw refuse(field, "duplicate", "an HSA-id appears twice") }
            }
        case .patientIdentifier:
            guard let text = value.stringValue else { throw refuse(field, "type", "expected a patient identifier string") }
            // By bytes: a set finds a canonically equivalent string too, which may not parse.
            if let known = validPatients.firstIndex(of: text), validPatients[known].hasSameBytes(as: text) { return }
            try checkPatientIdentifier(text, field: field, refuse: refuse)
            validPatients.insert(text)
        case .kvaCode:
            guard let text = value.stringValue else { throw refuse(field, "type", "expected a KVÅ code string") }
            do { _ = try KVACode(text) } catch { throw refuse(field, error.rule, error.message) }
            if let list = reference.kvaList, !list.contains(text) {
                throw refuse(field, "kva.unknown",
                             "\(text) is not in the KVÅ list loaded here (version \(list.version)); if another side loaded a newer list, load it here too")
            }
        case .boolean:
            guard value.boolValue != nil else { throw refuse(field, "type", "expected true or false") }
        case .recordReference:
            guard let text = value.stringValue, Self.isValidRecordID(text) else {
                throw refuse(field, "reference", "expected a record id")
            }
        case .recordReferenceList:
            guard let items = value.arrayValue,
                items.allSatisfy({ $0.stringValue.map(Self.isValidRecordID) ?? false }),
                Set(items).count == items.count
            else {
                throw refuse(field, "reference", "expected an array of distinct record ids")
            }
        case .answers:
            guard let members = value.objectValue else { throw refuse(field, "type", "expected an object of item answers") }
            for (item, answer) in members {
                guard RecordState.isValidFieldName(item), answer.integerValue != nil else {
                    throw refuse(field, "answers", "each answer is an item id with an integer scale value")
                }
            }
        case .object(let members):
            guard let object = value.objectValue else { throw refuse(field, "type", "expected an object") }
            // By bytes: a dictionary lookup would let a canonically equivalent name through.
            // The first unknown member in name order: the answer must not depend on the
            // dictionary's order, which changes from process to process.
            if let name = object.keys.filter({ name in !members.keys.contains(where: { $0.hasSameBytes(as: name) }) }).min() {
                throw refuse("\(field).\(name)", "field.unknown", "no such member")
            }
            for (name, kind) in members.sorted(by: { $0.key < $1.key }) {
                guard let member = object[name], member != .null else {
                    throw refuse("\(field).\(name)", "required", "this member must be answered")
                }
                try check(member, against: kind, field: "\(field).\(name)", validPatients: &validPatients, refuse: refuse)
            }
        }
    }

    /// The refusal of vocabulary written in another Unicode normalization form than the
    /// NFC the vocabulary uses.
    static func notNFC(_ field: String?, _ refuse: Refusal) -> DomainError {
        refuse(field, "text.nfc", "vocabulary must be written in Unicode NFC (composed characters, as in the schema)")
    }

    private func checkPatientIdentifier(_ text: String, field: String,
                                        refuse: Refusal) throws(DomainError) {
        // The stored form passes every check below; anything else is parsed in full, for
        // its precise error or for a reserve number.
        if PersonalIdentityNumber.isStoredForm(text, today: reference.today) { return }
        let parsed: PersonalIdentityNumber
        do throws(IdentifierError) {
            parsed = try reference.patientIdentifier(text)
        } catch {
            throw refuse(field, error.rule, error.message)
        }
        guard parsed.canonical == text else {
            throw refuse(field, "identifier.canonical", "store identifiers in their canonical form (12 digits, no separator)")
        }
    }
}
