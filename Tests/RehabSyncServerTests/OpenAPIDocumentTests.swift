import RehabSyncCore
import RehabSyncDomain
import RehabSyncServer
import Testing

struct OpenAPIDocumentTests {
    typealias F = ServerFixtures
    typealias Harness = SyncRouterTests.Harness

    static func document(_ harness: Harness) throws -> [String: JSONValue] {
        let response = harness.send("GET", "/openapi.json")
        #expect(response.status.code == 200)
        return try #require(harness.json(response).isEmpty ? nil : harness.json(response))
    }

    static func schemas(_ document: [String: JSONValue]) throws -> [String: JSONValue] {
        try #require(document["components"]?.objectValue?["schemas"]?.objectValue)
    }

    /// The schema of a field's value inside a collection's state schema: an optional field's
    /// value is `anyOf` its kind and null.
    static func valueSchema(_ state: JSONValue?, field: String) -> JSONValue? {
        let value = state?.objectValue?["properties"]?.objectValue?["fields"]?.objectValue?["properties"]?.objectValue?[field]?
            .objectValue?["items"]?.objectValue?["properties"]?.objectValue?["value"]
        return value?.objectValue?["anyOf"]?.arrayValue?.first ?? value
    }

    @Test("Every collection field appears in the generated OpenAPI state schema with its enumeration and required flag")
    func everyFieldIsInTheStateSchema() throws {
        let schemas = try Self.schemas(try Self.document(try Harness()))
        for collection in CollectionName.allCases {
            let schema = CollectionSchema.of(collection)
            let state = schemas[collection.rawValue.prefix(1).uppercased() + collection.rawValue.dropFirst() + "State"]
            let fields = try #require(state?.objectValue?["properties"]?.objectValue?["fields"]?.objectValue, "\(collection)")
            #expect(fields["additionalProperties"] == .bool(false))
            #expect(fields["required"] == .array(schema.requiredFields.map(JSONValue.string)))
            #expect(Set(fields["properties"]?.objectValue?.keys.map { $0 } ?? []) == Set(schema.fields.keys))
            for (name, rule) in schema.fields {
                let value = try #require(Self.valueSchema(state, field: name), "\(collection).\(name)")
                if case .enumeration(let values) = rule.kind {
                    #expect(value.objectValue?["enum"] == .array(values.map(JSONValue.string)), "\(collection).\(name)")
                }
            }
        }
    }

    @Test("A field outside the schema is refused by the server and forbidden by additionalProperties false")
    func unknownFieldIsRefusedAndForbidden() throws {
        let harness = try Harness()
        let schemas = try Self.schemas(try Self.document(harness))
        let fields = schemas["CarePlansState"]?.objectValue?["properties"]?.objectValue?["fields"]?.objectValue
        #expect(fields?["additionalProperties"] == .bool(false))
        #expect(fields?["properties"]?.objectValue?["nickname"] == nil)
        let (replica, token) = try harness.enrol(F.unitA)
        var plan = F.plan()
        plan["nickname"] = .string("Tolvan")
        let state = try F.state(plan, replica: try #require(ReplicaID(replica)))
        let response = harness.send("POST", "/v1/sync/push", token: token, body: F.body([("carePlans", "p1", state)]))
        #expect(response.status.code == 422)
        #expect(harness.json(response)["error"]?.objectValue?["field"] == .string("records[0].state.fields.nickname"))
    }

    @Test("An admin body with a member the document does not name is refused")
    func adminBodyUnknownMember() throws {
        let harness = try Harness()
        let schemas = try Self.schemas(try Self.document(harness))
        #expect(schemas["EnrolRequest"]?.objectValue?["additionalProperties"] == .bool(false))
        let response = harness.send("POST", "/v1/admin/devices", token: harness.adminToken,
                                    body: Array(#"{"name":"Laptop","units":["SE2321000016-A001"],"colour":"grey"}"#.utf8))
        #expect(response.status.code == 400)
        #expect(harness.json(response)["error"]?.objectValue?["code"] == .string("unknown_member"))
        #expect(harness.json(response)["error"]?.objectValue?["field"] == .string("colour"))
    }

    @Test("The push and pull limits in the document are the server's own")
    func limitsFollowTheConfiguration() throws {
        let document = try Self.document(try Harness())
        let configuration = SyncServiceConfiguration()
        let batch = try Self.schemas(document)["PushBatch"]?.objectValue?["properties"]?.objectValue?["records"]?.objectValue
        #expect(batch?["maxItems"] == .integer(Int64(configuration.maximumBatchRecords)))
        let pull = document["paths"]?.objectValue?["/v1/sync/pull"]?.objectValue?["get"]?.objectValue?["parameters"]?.arrayValue ?? []
        let limit = pull.first { $0.objectValue?["name"] == .string("limit") }?.objectValue?["schema"]?.objectValue
        #expect(limit?["maximum"] == .integer(Int64(configuration.maximumPageSize)))
        #expect(limit?["minimum"] == .integer(1))
    }

    @Test("Every reference in the served document resolves to a component")
    func referencesResolve() throws {
        let document = try Self.document(try Harness())
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let target = members["$ref"]?.stringValue { references.append(target) }
                members.values.forEach(collect)
            case .array(let elements):
                elements.forEach(collect)
            default:
                break
            }
        }
        collect(.object(document))
        #expect(!references.isEmpty)
        for target in Set(references) {
            let parts = target.split(separator: "/").dropFirst().map(String.init)
            var node: JSONValue? = .object(document)
            for part in parts { node = node?.objectValue?[part] }
            #expect(node != nil, "\(target) does not resolve")
        }
    }

    @Test("Every refusal a push may get beyond the schemas names its status, code and why")
    func refusalsAreListed() throws {
        let document = try Self.document(try Harness())
        let push = document["paths"]?.objectValue?["/v1/sync/push"]?.objectValue?["post"]?.objectValue
        let listed = try #require(push?["x-rehabsync-refusals"]?.arrayValue)
        let refusals = listed.compactMap(\.objectValue)
        for refusal in refusals {
            #expect(refusal["status"]?.integerValue != nil && refusal["code"]?.stringValue != nil && refusal["why"]?.stringValue != nil)
        }
        let validation = try #require(refusals.first { $0["code"] == .string("validation_failed") })
        let rules = Set(validation["rules"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        // Rules of field kinds are the schema's to prevent, never tolerated.
        for kindRule in ["type", "enum", "length", "field.unknown", "date", "dateTime", "reference", "required"] {
            #expect(!rules.contains(kindRule), "\(kindRule)")
        }
        #expect(rules.isSuperset(of: ["referral.inclusion", "handover.backward", "date.future"]))
    }

    @Test("A pushed state whose context does not cover a dot is refused as a bad state at its path, not as a malformed batch")
    func uncoveredSiblingInAPush() throws {
        let harness = try Harness()
        let (replica, token) = try harness.enrol(F.unitA)
        let body = #"{"records":[{"collection":"carePlans","id":"p1","state":{"context":{},"fields":{"title":[{"author":"\#(F.nurse)","dot":["\#(replica)",1],"hlc":[1,0],"value":"x","wall":1}]}}}]}"#
        let response = harness.send("POST", "/v1/sync/push", token: token, body: Array(body.utf8))
        #expect(response.status.code == 422)
        let error = harness.json(response)["error"]?.objectValue
        #expect(error?["code"] == .string("uncovered_sibling"))
        #expect(error?["field"] == .string("records[0].state.fields.title[0].dot"))
    }
}
