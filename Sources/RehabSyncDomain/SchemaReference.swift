import RehabSyncCore

/// The collection schemas described for people and programs, generated from
/// ``CollectionSchema``, ``FieldKind`` and ``CollectionRules`` so that it cannot drift from
/// what is checked: `rehabsync schema` prints it, and the README's reference is its
/// Markdown form (a test compares them byte for byte).
public struct SchemaReference: Sendable {
    /// A rule beyond field kinds, with the rule code its refusal names.
    public struct Rule: Sendable, Hashable {
        public let code: String
        public let text: String

        init(_ code: String, _ text: String) {
            self.code = code
            self.text = text
        }
    }

    /// One field, or one member of an object field (named `field.member`).
    public struct Field: Sendable {
        public let name: String
        public let kind: FieldKind
        public let required: Bool
    }

    public let collections: [CollectionName]
    /// The reference data in force, or nil where none was loaded: KVÅ codes and
    /// questionnaires are then described by their form only.
    public let reference: ReferenceData?

    public init(collections: [CollectionName] = CollectionName.allCases, reference: ReferenceData?) {
        self.collections = collections
        self.reference = reference
    }

    /// The fields of a collection: required ones first, each group by name, with the members
    /// of an object field right after it.
    public static func fields(of collection: CollectionName) -> [Field] {
        let schema = CollectionSchema.of(collection)
        let names = schema.fields.keys.sorted { lhs, rhs in
            // Safe because both names come from the dictionary's keys.
            let (left, right) = (schema.fields[lhs]!.requiredOnCreate, schema.fields[rhs]!.requiredOnCreate)
            return left == right ? lhs < rhs : left
        }
        var fields: [Field] = []
        for name in names {
            // Safe because `name` comes from the dictionary's keys.
            let rule = schema.fields[name]!
            fields.append(Field(name: name, kind: rule.kind, required: rule.requiredOnCreate))
            if case .object(let members) = rule.kind {
                for member in members.keys.sorted() {
                    // Safe because `member` comes from the dictionary's keys.
                    fields.append(Field(name: "\(name).\(member)", kind: members[member]!, required: true))
                }
            }
        }
        return fields
    }

    /// The rules beyond field kinds of a collection.
    public static func rules(of collection: CollectionName) -> [Rule] {
        CollectionRules.described(collection)
    }

    // MARK: - Text

    /// The reference for a person at a terminal: per collection an aligned table of fields,
    /// then its rules, then the reference data the selected collections use.
    public var text: String {
        var lines = [
            "Required: a new record must set the field, and it can never be cleared (set to null).",
            "Other fields may be left out or cleared with null. A field outside the schema is refused.",
        ]
        for collection in collections {
            lines.append("")
            lines.append("\(collection.rawValue): \(collection.summary)")
            let fields = Self.fields(of: collection)
            let rows = [["FIELD", "TYPE", "REQUIRED", "ALLOWED"]]
                + fields.map { [$0.name, $0.kind.typeName, $0.required ? "yes" : "no", $0.kind.allowedValues(reference: reference)] }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<3).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
                lines.append("  " + (padded + [row[3]]).joined(separator: "  "))
            }
            let rules = Self.rules(of: collection)
            if !rules.isEmpty {
                lines.append("  Rules:")
                lines += rules.map { "    \($0.code): \($0.text)" }
            }
        }
        let data = referenceDataLines
        if !data.isEmpty {
            lines += ["", "Reference data in force:"] + data.map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The KVÅ list and questionnaires, for the selected collections that use them.
    private var referenceDataLines: [String] {
        guard let reference else { return [] }
        var lines: [String] = []
        if collections.contains(.plannedInterventions), let list = reference.kvaList {
            lines.append("KVÅ list \(list.version) (\(list.entries.count) codes): "
                + list.entries.map(\.code.value).joined(separator: ", "))
        }
        if collections.contains(.assessments) {
            let definitions = reference.questionnaires.values.sorted { $0.key < $1.key }
            lines.append("Questionnaires: " + (definitions.isEmpty ? "none loaded" : definitions.map { definition in
                let items = definition.items.isEmpty ? "no items: load the official form first" : "\(definition.items.count) items"
                return "\(definition.id) version \(definition.version) (\(items))"
            }.joined(separator: "; ")))
        }
        return lines
    }

    // MARK: - Markdown

    /// The README's short reference: one table row per collection, required fields in bold,
    /// then each collection's rules. Independent of reference data, which a region loads.
    public var markdown: String {
        var lines = ["| Collection | Fields (required on create in bold) |", "|---|---|"]
        for collection in collections {
            let cells = Self.fields(of: collection).filter { !$0.name.contains(".") }.map { field in
                let name = field.required ? "**\(field.name)**" : field.name
                return "\(name) (\(Self.shortDescription(field.kind)))"
            }
            lines.append("| `\(collection.rawValue)` | " + cells.joined(separator: ", ") + " |")
        }
        lines.append("")
        for collection in collections {
            let rules = Self.rules(of: collection)
            guard !rules.isEmpty else { continue }
            lines.append("- `\(collection.rawValue)`: " + rules.map { "\($0.text) (`\($0.code)`)" }.joined(separator: "; ") + ".")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A kind in a few words for a table cell.
    private static func shortDescription(_ kind: FieldKind) -> String {
        switch kind {
        case .text(let maximumBytes): "text, at most \(maximumBytes) bytes"
        case .enumeration(let values): values.joined(separator: ", ")
        case .object(let members): "object: " + members.keys.sorted().map { "\($0) \(members[$0]?.typeName ?? "")" }.joined(separator: ", ")
        default: kind.typeName
        }
    }

    // MARK: - JSON

    /// The machine form: every collection's fields with kind, required flag, allowed values
    /// in words and as JSON Schema, its rules, and the reference data in force.
    public var json: JSONValue {
        let described: [JSONValue] = collections.map { collection in
            .object([
                "name": .string(collection.rawValue),
                "summary": .string(collection.summary),
                "fields": .array(Self.fields(of: collection).map { field in
                    var members: [String: JSONValue] = [
                        "name": .string(field.name), "type": .string(field.kind.typeName), "required": .bool(field.required),
                        "allowed": .string(field.kind.allowedValues(reference: reference)),
                        "jsonSchema": field.kind.jsonSchema(reference: reference),
                    ]
                    switch field.kind {
                    case .enumeration(let values): members["values"] = .array(values.map(JSONValue.string))
                    case .text(let maximumBytes): members["maximumBytes"] = .integer(Int64(maximumBytes))
                    default: break
                    }
                    return .object(members)
                }),
                "rules": .array(Self.rules(of: collection).map { .object(["code": .string($0.code), "text": .string($0.text)]) }),
            ])
        }
        var document: [String: JSONValue] = ["collections": .array(described)]
        if let reference {
            var data: [String: JSONValue] = [
                "questionnaires": .array(reference.questionnaires.values.sorted { $0.key < $1.key }.map { definition in
                    .object(["id": .string(definition.id), "version": .string(definition.version),
                             "items": .array(definition.items.map { item in
                                 .object(["id": .string(item.id), "required": .bool(item.required),
                                          "minimum": .integer(item.scale.lowerBound), "maximum": .integer(item.scale.upperBound)])
                             })])
                }),
            ]
            if let list = reference.kvaList {
                data["kva"] = .object(["version": .string(list.version),
                                       "codes": .array(list.entries.map { .string($0.code.value) })])
            }
            document["referenceData"] = .object(data)
        }
        return .object(document)
    }
}
