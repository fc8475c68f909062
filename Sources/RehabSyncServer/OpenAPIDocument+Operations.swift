import RehabSyncCore
import RehabSyncDomain

// The generated half of each operation: parameters, request bodies, and the refusals a
// request the schemas allow may still get (`x-rehabsync-refusals`), merged into the
// hand-kept skeleton.

extension OpenAPIDocument {
    /// The document this server serves: its limits and the reference data it validates with.
    static func document(configuration: SyncServiceConfiguration, reference: ReferenceData) -> JSONValue {
        // Safe because the skeleton is a literal that a test parses on every run.
        guard case .object(var root) = (try? JSONParser.parse(skeleton)) ?? .null else { return .null }
        var paths = root["paths"]?.objectValue ?? [:]
        for (path, methods) in paths {
            var entry = methods.objectValue ?? [:]
            for (method, operation) in entry {
                var members = operation.objectValue ?? [:]
                var responses = members["responses"]?.objectValue ?? [:]
                for status in errorStatuses where responses[status] == nil {
                    responses[status] = .object(["$ref": string("#/components/responses/Error")])
                }
                members["responses"] = .object(responses)
                entry[method] = .object(members)
            }
            paths[path] = .object(entry)
        }
        for (path, methods) in operations(configuration: configuration, reference: reference) {
            var entry = paths[path]?.objectValue ?? [:]
            for (method, additions) in methods {
                var operation = entry[method]?.objectValue ?? [:]
                operation.merge(additions) { _, generated in generated }
                entry[method] = .object(operation)
            }
            paths[path] = .object(entry)
        }
        root["paths"] = .object(paths)
        var components = root["components"]?.objectValue ?? [:]
        var schemas = components["schemas"]?.objectValue ?? [:]
        schemas.merge(generatedSchemas(configuration: configuration, reference: reference)) { _, generated in generated }
        components["schemas"] = .object(schemas)
        root["components"] = .object(components)
        return .object(root)
    }

    /// The error answers any operation may give, each `{"error":{"code","message","field"}}`:
    /// a refused request (400, 401, 403, 404, 409, 413, 422) or the server's own trouble
    /// (500 with the request id, 503 with Retry-After).
    static let errorStatuses = ["400", "401", "403", "404", "409", "413", "422", "500", "503"]

    /// A parameter whose schema is a generated component or an inline schema.
    static func parameter(_ name: String, in location: String, required: Bool, schema: JSONValue, description: String? = nil) -> JSONValue {
        var members: [String: JSONValue] = ["name": string(name), "in": string(location), "required": .bool(required), "schema": schema]
        if let description { members["description"] = string(description) }
        return .object(members)
    }

    static func body(_ schema: String, required: Bool = true) -> JSONValue {
        .object(["required": .bool(required), "content": .object(["application/json": .object(["schema": ref(schema)])])])
    }

    /// A refusal the schema cannot rule out, with why JSON Schema cannot say it.
    static func refusal(_ status: Int, _ code: String, rules: [String] = [], _ why: String) -> JSONValue {
        var members: [String: JSONValue] = ["status": integer(status), "code": string(code), "why": string(why)]
        if !rules.isEmpty { members["rules"] = strings(rules) }
        return .object(members)
    }

    static let clinician = parameter("X-Clinician", in: "header", required: true, schema: ref("HSAID"),
                                     description: "HSA-id of the clinician using the device; every delivered record is logged with it.")
    static let deviceSecurity: JSONValue = .array([.object(["device": .array([])])])

    /// The rules of ``CollectionRules`` and the identifier checks that no JSON Schema holds.
    static var domainRules: [String] {
        let described = CollectionName.allCases.flatMap { SchemaReference.rules(of: $0).map(\.code) }
        let more = ["answers.scale", "questionnaire.empty", "personnummer.checksum", "personnummer.date", "personnummer.century",
                    "personnummer.birthnumber", "personnummer.future", "personnummer.kind"]
        return Array(Set(described + more)).sorted()
    }

    static func operations(configuration: SyncServiceConfiguration, reference: ReferenceData) -> [String: [String: [String: JSONValue]]] {
        let drift = configuration.maximumClockDriftMilliseconds / 1_000
        let identifierRules = ["personnummer.birthnumber", "personnummer.century", "personnummer.checksum", "personnummer.date",
                               "personnummer.future", "personnummer.kind"]
        return [
            "/v1/sync/push": ["post": [
                "parameters": .array([
                    parameter(SyncService.sentMarkHeader, in: "header", required: true, schema: counter(minimum: 0),
                              description: "The highest counter the replica file has ever sent, written durably before sending. Required once the token is bound to a replica instance (after /v1/sync/hello); a token never bound may leave it out."),
                ]),
                "requestBody": body("PushBatch"),
                "x-rehabsync-refusals": .array([
                    refusal(403, "out_of_scope", "A record is in the device's care units, its units change only between units the device is enrolled for, and only the receiving unit confirms a handover: the device's enrolment, which the schema cannot know."),
                    refusal(409, "replica_behind", "The sent mark is not below the highest counter the server holds from the device: server state."),
                    refusal(400, "duplicate_record", "A record (collection and id) appears at most once in a batch: uniqueItems compares whole items, not their keys."),
                    refusal(422, "uncovered_sibling", "Every sibling's dot is covered by the state's context: a relation between two members."),
                    refusal(422, "duplicate_sibling", "No dot appears twice in a field: uniqueItems compares whole siblings, not their dots."),
                    refusal(422, "context_ahead", "The context claims no writes of another replica beyond what the server holds: causal history."),
                    refusal(422, "altered_write", "A write the server holds arrives unchanged: causal history."),
                    refusal(422, "foreign_dot", "A new write carries the pushing device's own replica id, which the schema cannot know."),
                    refusal(422, "invalid_clock", "A write's clock is at most \(drift) s ahead of the server's clock at the time of the request."),
                    refusal(422, "validation_failed", rules: domainRules,
                            "Rules across fields, over the record's history, against reference data (the KVÅ list, questionnaire items), the check digit and date of a personnummer, and dates after the day of the request."),
                ]),
            ]],
            "/v1/sync/hello": ["post": ["requestBody": body("HelloRequest"), "security": deviceSecurity]],
            "/v1/sync/rotate": ["post": ["requestBody": body("RotateRequest", required: false), "security": deviceSecurity]],
            "/v1/sync/pull": ["get": [
                "parameters": .array([
                    parameter("since", in: "query", required: false, schema: counter(minimum: 0),
                              description: "The nextCursor of the previous page (default 0). A page holds at most limit records and at most maxPageBytes (default 4 MiB) of state."),
                    parameter("limit", in: "query", required: false,
                              schema: .object(["type": string("integer"), "minimum": integer(1), "maximum": integer(configuration.maximumPageSize),
                                               "default": integer(configuration.defaultPageSize)])),
                    clinician,
                ]),
                "x-rehabsync-refusals": .array([
                    refusal(400, "cursor_ahead", "since may not be beyond the server's newest change, which changes with every push."),
                ]),
            ]],
            "/v1/sync/digest": ["get": [
                "parameters": .array([parameter("unit", in: "query", required: false, schema: ref("HSAID"),
                                                description: "One of the device's units (another: 403).")]),
            ]],
            "/v1/records/{collection}/{id}": ["get": [
                "parameters": .array([
                    parameter("collection", in: "path", required: true, schema: ref("CollectionName")),
                    parameter("id", in: "path", required: true, schema: ref("RecordID")),
                    clinician,
                ]),
            ]],
            "/v1/sync/access-log": ["post": [
                "requestBody": body("AccessLogRequest"),
                "x-rehabsync-refusals": .array([
                    refusal(400, "entry_order", "Entry ids increase within a request: a relation between items."),
                ]),
            ]],
            "/v1/admin/devices": ["post": ["requestBody": body("EnrolRequest")]],
            "/v1/admin/devices/{replicaId}/revoke": ["post": [
                "parameters": .array([parameter("replicaId", in: "path", required: true, schema: ref("ReplicaID"))]),
            ]],
            "/v1/admin/audit/verify": ["get": [
                "parameters": .array([parameter("head", in: "query", required: false,
                                                schema: .object(["type": string("string"), "pattern": string("^[0-9]{1,18}:[0-9a-f]{64}$")]),
                                                description: "A head written down earlier, <entry id>:<seal>, as /v1/admin/audit/head gives it.")]),
            ]],
            "/v1/admin/audit": ["get": [
                "parameters": .array([parameter("patient", in: "query", required: true,
                                                schema: FieldKind.patientIdentifier.jsonSchema(reference: reference),
                                                description: "The patient identifier; 10- or 12-digit spellings with - or + are accepted too.")]),
                "x-rehabsync-refusals": .array(identifierRules.map { rule in
                    refusal(400, rule, "The check digit, date and century of a personnummer are beyond a pattern.")
                }),
            ]],
            "/v1/admin/dump": ["get": [
                "parameters": .array([parameter("unit", in: "query", required: true, schema: ref("HSAID"))]),
            ]],
            "/v1/admin/export/status": ["get": [
                "parameters": .array([parameter("job", in: "query", required: false, schema: .object(["type": string("string")]),
                                                description: "A job's name (unknown: 404).")]),
            ]],
            "/v1/admin/export/run": ["post": [
                "requestBody": body("ExportRunRequest"),
                "x-rehabsync-refusals": .array([
                    refusal(422, "period_open", "A month can be reported once it is over, which depends on the day of the request."),
                ]),
            ]],
        ]
    }
}
