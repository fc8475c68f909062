import RehabSyncCore
import RehabSyncDomain

// The request and record schemas of the OpenAPI document, generated from the collection
// schemas, the field kinds' JSON Schema and the limits the server enforces, so that the
// document cannot allow what the server refuses for its form. What JSON Schema cannot say
// (rules across fields, the record's causal history, reference data, the time of the
// request) is listed per operation under `x-rehabsync-refusals`: the refusals a request
// the schema allows may still get, each with its status, code and rules. The schemathesis
// run in CI tolerates exactly those.

extension OpenAPIDocument {
    /// A lowercase UUID, the only spelling of a replica id.
    static let replicaIDPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    /// A replica instance id, as `replica init` makes it.
    static let instancePattern = "^[A-Za-z0-9-]{8,64}$"

    static func string(_ text: String) -> JSONValue { .string(text) }
    static func integer(_ value: Int) -> JSONValue { .integer(Int64(value)) }
    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }
    static func strings(_ texts: [String]) -> JSONValue { .array(texts.map(JSONValue.string)) }

    /// An object that allows exactly `properties`, requiring `required`.
    static func closedObject(_ properties: [String: JSONValue], required: [String], description: String? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "type": string("object"), "additionalProperties": .bool(false), "properties": .object(properties),
            "required": strings(required),
        ]
        if let description { members["description"] = string(description) }
        return .object(members)
    }

    /// A counter or clock: an integer from `minimum` to 2^53 - 1, the largest every JSON
    /// reader holds exactly.
    static func counter(minimum: Int64) -> JSONValue {
        .object(["type": string("integer"), "minimum": .integer(minimum), "maximum": .integer(Dot.maximumCounter)])
    }

    /// The name of the generated state schema of a collection, such as `CarePlansState`.
    static func stateName(_ collection: CollectionName) -> String {
        collection.rawValue.prefix(1).uppercased() + collection.rawValue.dropFirst() + "State"
    }

    /// Every generated schema, by component name.
    static func generatedSchemas(configuration: SyncServiceConfiguration, reference: ReferenceData) -> [String: JSONValue] {
        var schemas: [String: JSONValue] = [
            "HSAID": FieldKind.hsaIDSchema,
            "ReplicaID": .object(["type": string("string"), "pattern": string(replicaIDPattern), "description": string("a replica id: a lowercase UUID")]),
            "RecordID": .object(["type": string("string"), "pattern": string(FieldKind.recordIDPattern)]),
            "CollectionName": .object(["type": string("string"), "enum": strings(CollectionName.allCases.map(\.rawValue))]),
            "Instance": .object(["type": string("string"), "pattern": string(instancePattern)]),
            "Dot": .object([
                "type": string("array"), "minItems": integer(2), "maxItems": integer(2),
                "prefixItems": .array([ref("ReplicaID"), counter(minimum: 1)]),
                "description": string("[replicaId, counter]: the write's identity"),
            ]),
            "HLC": .object([
                "type": string("array"), "minItems": integer(2), "maxItems": integer(2),
                "prefixItems": .array([counter(minimum: 0), counter(minimum: 0)]),
                "description": string("[milliseconds, logical]: the hybrid logical clock of the write"),
            ]),
            "Context": .object([
                "type": string("object"), "propertyNames": ref("ReplicaID"), "additionalProperties": counter(minimum: 1),
                "description": string("The version vector: per replica the highest counter of its writes the state includes; it must cover every sibling's dot."),
            ]),
            "PushBatch": pushBatch(configuration: configuration),
            "HelloRequest": closedObject(["instance": ref("Instance"), "replace": .object(["type": string("boolean")])], required: ["instance"]),
            "RotateRequest": closedObject(["instance": ref("Instance")], required: []),
            "EnrolRequest": closedObject([
                "name": .object([
                    "type": string("string"), "minLength": integer(1), "maxLength": integer(50), "pattern": string("^[A-Za-z0-9]"),
                    "description": string("1 to 200 bytes once trimmed; maxLength is the character count that always fits, and a leading letter or digit keeps the trimmed name non-empty"),
                ]),
                "units": .object(["type": string("array"), "minItems": integer(1), "items": ref("HSAID")]),
            ], required: ["name", "units"]),
            "AccessLogRequest": accessLogRequest,
            "ExportRunRequest": closedObject([
                "job": .object(["type": string("string"), "minLength": integer(1)]),
                "period": .object(["type": string("string"), "pattern": string("^[0-9]{4}-(0[1-9]|1[0-2])$"), "description": string("YYYY-MM")]),
                "asOf": .object(["type": string("string"), "pattern": string(FieldKind.dateTimePattern)]),
                "dryRun": .object(["type": string("boolean")]),
            ], required: ["job", "period"]),
        ]
        for collection in CollectionName.allCases {
            schemas[stateName(collection)] = state(of: collection, reference: reference)
        }
        return schemas
    }

    /// The push body: records of any collection, each with the state schema of its own.
    static func pushBatch(configuration: SyncServiceConfiguration) -> JSONValue {
        let records: [JSONValue] = CollectionName.allCases.map { collection in
            closedObject(["collection": .object(["const": string(collection.rawValue)]), "id": ref("RecordID"),
                          "state": ref(stateName(collection))],
                         required: ["collection", "id", "state"])
        }
        return closedObject([
            "records": .object([
                "type": string("array"), "maxItems": integer(configuration.maximumBatchRecords),
                "items": .object(["oneOf": .array(records)]),
                "description": string("At most maxBatchRecords records (more: 413); a record (collection and id) at most once."),
            ]),
        ], required: ["records"], description: "Full states of records changed on the device; the body is at most maxBodyBytes (default 8 MiB; more: 413), and a replica splits its pushes below that.")
    }

    /// A collection's record state: the fields of its schema, each an array of siblings
    /// whose values have the field's JSON Schema. A new record sets every required field.
    static func state(of collection: CollectionName, reference: ReferenceData) -> JSONValue {
        let schema = CollectionSchema.of(collection)
        var fields: [String: JSONValue] = [:]
        for (name, rule) in schema.fields {
            var value = valueSchema(collection: collection, field: name, kind: rule.kind, reference: reference)
            // An optional field is cleared with null; a required one never is.
            if !rule.requiredOnCreate { value = .object(["anyOf": .array([value, .object(["type": string("null")])])]) }
            let sibling = closedObject([
                "author": ref("HSAID"), "dot": ref("Dot"), "hlc": ref("HLC"), "value": value,
                "wall": counter(minimum: 0),
            ], required: ["author", "dot", "hlc", "value", "wall"])
            fields[name] = .object(["type": string("array"), "minItems": integer(1), "items": sibling])
        }
        return closedObject([
            "context": ref("Context"),
            "fields": closedObject(fields, required: schema.requiredFields,
                                   description: "Every field of the \(collection.rawValue) schema and no other; the required ones as a new record needs them."),
        ], required: ["context", "fields"])
    }

    /// A field's value schema; an assessment's questionnaire and version are limited to
    /// the loaded definitions that have items (whether the pair is one is a rule across
    /// fields).
    static func valueSchema(collection: CollectionName, field: String, kind: FieldKind, reference: ReferenceData) -> JSONValue {
        // A definition without items (a placeholder for an official form) records nothing.
        let definitions = reference.questionnaires.values.filter { !$0.items.isEmpty }
        if collection == .assessments, !definitions.isEmpty {
            if field == "questionnaire" { return .object(["type": string("string"), "enum": strings(Set(definitions.map(\.id)).sorted())]) }
            if field == "questionnaireVersion" { return .object(["type": string("string"), "enum": strings(Set(definitions.map(\.version)).sorted())]) }
        }
        return kind.jsonSchema(reference: reference)
    }

    static var accessLogRequest: JSONValue {
        let subject = closedObject([
            "collection": ref("CollectionName"), "record": ref("RecordID"),
            "patient": .object(["anyOf": .array([
                .object(["type": string("string"), "pattern": string("^[!-~]{1,64}$"), "description": string("the stored patient identifier")]),
                .object(["type": string("null")]),
            ])]),
            "units": .object(["type": string("array"), "items": ref("HSAID")]),
        ], required: ["collection", "record", "units"])
        let entry = closedObject([
            "id": .object(["type": string("integer"), "minimum": integer(1), "maximum": .integer(Dot.maximumCounter),
                           "description": string("The device's entry id; increasing within a request.")]),
            "at": .object(["type": string("integer"), "minimum": integer(0), "maximum": .integer(Dot.maximumCounter),
                           "description": string("When the read happened on the device, milliseconds since the Unix epoch.")]),
            "clinician": ref("HSAID"),
            "action": .object(["type": string("string"), "enum": strings(["conflicts", "list", "read"])]),
            "subjects": .object(["type": string("array"), "minItems": integer(1), "maxItems": integer(SyncService.maximumAccessLogSubjects), "items": subject]),
        ], required: ["id", "at", "clinician", "action", "subjects"])
        return closedObject([
            "entries": .object(["type": string("array"), "maxItems": integer(SyncService.maximumAccessLogEntries), "items": entry]),
        ], required: ["entries"])
    }
}
