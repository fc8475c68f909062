// The canonical encoding of a record state, one JSON object with sorted keys and no
// insignificant whitespace, so that equal states are equal bytes:
//
//   {"context":{"<replica>":<counter>,...},
//    "fields":{"<name>":[{"author":"<hsa-id>","dot":["<replica>",<counter>],
//                         "hlc":[<ms>,<logical>],"value":<json>,"wall":<ms>},...],...}}
//
// Siblings appear in dot order, context entries and fields in byte order of their names.

extension FieldSibling {
    /// Writes this sibling's canonical encoding.
    public func write(to writer: inout CanonicalWriter) {
        writer.append(#"{"author":"#)
        writer.appendString(author)
        writer.append(#","dot":[""#)
        writer.appendReplicaID(dot.replica)
        writer.append(#"","#)
        writer.appendInteger(dot.counter)
        writer.append(#"],"hlc":["#)
        writer.appendInteger(hlc.milliseconds)
        writer.append(UInt8(ascii: ","))
        writer.appendInteger(hlc.logical)
        writer.append(#"],"value":"#)
        value.write(to: &writer)
        writer.append(#","wall":"#)
        writer.appendInteger(wallMilliseconds)
        writer.append(UInt8(ascii: "}"))
    }

    /// The canonical encoding of this sibling alone.
    public var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter()
        write(to: &writer)
        return writer.bytes
    }
}

extension RecordState {
    /// The canonical encoding as bytes.
    public var canonicalBytes: [UInt8] {
        // A guess that avoids most regrowth: about 200 bytes a sibling, values included.
        var writer = CanonicalWriter(capacity: 64 + 200 * fields.count)
        write(to: &writer)
        return writer.bytes
    }

    /// The canonical encoding as a string.
    public var canonicalText: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// Writes the canonical encoding.
    public func write(to writer: inout CanonicalWriter) {
        writer.append(#"{"context":{"#)
        for (offset, entry) in context.entries.enumerated() {
            if offset > 0 { writer.append(UInt8(ascii: ",")) }
            writer.append(UInt8(ascii: "\""))
            writer.appendReplicaID(entry.replica)
            writer.append(#"":"#)
            writer.appendInteger(entry.counter)
        }
        writer.append(#"},"fields":{"#)
        for (offset, field) in fields.enumerated() {
            if offset > 0 { writer.append(UInt8(ascii: ",")) }
            writer.appendString(field.name)
            writer.append(":[")
            for (index, sibling) in field.siblings.enumerated() {
                if index > 0 { writer.append(UInt8(ascii: ",")) }
                sibling.write(to: &writer)
            }
            writer.append(UInt8(ascii: "]"))
        }
        writer.append("}}")
    }

    /// Decodes a state from its JSON bytes, refusing anything malformed with a typed
    /// error that names the offending field.
    public init(decoding bytes: [UInt8]) throws(CoreError) {
        try self.init(json: JSONParser.parse(bytes))
    }

    /// Decodes a state from an already parsed JSON value (a record inside a push batch).
    /// `path` prefixes the field names in errors.
    public init(json: JSONValue, path: String = "") throws(CoreError) {
        let prefix = path.isEmpty ? "" : path + "."
        let members = try Self.object(json, path: path.isEmpty ? "state" : path)
        try Self.expectKeys(members, ["context", "fields"], path: path)
        // Safe because expectKeys checked that both keys are present.
        let contextMembers = try Self.object(members["context"]!, path: prefix + "context")
        var pairs: [(ReplicaID, Int64)] = []
        for (key, value) in contextMembers {
            let entryPath = prefix + "context." + key
            guard let replica = ReplicaID(key) else {
                throw CoreError(.invalidReplicaID, "replica ids are lowercase UUIDs", field: entryPath)
            }
            let counter = try Self.counter(value, path: entryPath)
            guard counter > 0 else {
                throw CoreError(.negativeCounter, "context counters are positive", field: entryPath)
            }
            pairs.append((replica, counter))
        }
        let fieldMembers = try Self.object(members["fields"]!, path: prefix + "fields")
        var fields: [Field] = []
        fields.reserveCapacity(fieldMembers.count)
        for (name, value) in fieldMembers {
            let fieldPath = prefix + "fields." + name
            guard Self.isValidFieldName(name) else {
                throw CoreError(.invalidFieldName, "field names are ASCII identifiers of at most \(Self.maximumFieldNameLength) bytes", field: fieldPath)
            }
            guard case .array(let elements) = value else {
                throw CoreError(.wrongType, "siblings must be an array, not \(value.kindName)", field: fieldPath)
            }
            guard !elements.isEmpty else {
                throw CoreError(.emptySiblings, "a field must have at least one sibling", field: fieldPath)
            }
            var siblings: [FieldSibling] = []
            siblings.reserveCapacity(elements.count)
            for (offset, element) in elements.enumerated() {
                siblings.append(try Self.sibling(element, path: "\(fieldPath)[\(offset)]"))
            }
            // Order is part of canonical form but not of meaning: accept any order, then
            // sort, so a differently ordered document decodes to the same state.
            siblings.sort { $0.dot < $1.dot }
            fields.append(Field(name: name, siblings: siblings))
        }
        try self.init(context: VersionVector(pairs), fields: fields)
    }

    private static func sibling(_ json: JSONValue, path: String) throws(CoreError) -> FieldSibling {
        let members = try object(json, path: path)
        try expectKeys(members, ["author", "dot", "hlc", "value", "wall"], path: path)
        // Safe because expectKeys checked that every key is present.
        guard case .string(let author) = members["author"]! else {
            throw CoreError(.wrongType, "author must be a string", field: path + ".author")
        }
        guard case .array(let dotParts) = members["dot"]!, dotParts.count == 2,
            case .string(let replicaText) = dotParts[0]
        else {
            throw CoreError(.wrongType, "dot must be [replicaId, counter]", field: path + ".dot")
        }
        guard let replica = ReplicaID(replicaText) else {
            throw CoreError(.invalidReplicaID, "replica ids are lowercase UUIDs", field: path + ".dot")
        }
        let counter = try Self.counter(dotParts[1], path: path + ".dot")
        guard counter > 0 else {
            throw CoreError(.negativeCounter, "dot counters are positive", field: path + ".dot")
        }
        guard case .array(let hlcParts) = members["hlc"]!, hlcParts.count == 2 else {
            throw CoreError(.wrongType, "hlc must be [milliseconds, logical]", field: path + ".hlc")
        }
        let milliseconds = try Self.counter(hlcParts[0], path: path + ".hlc")
        let logical = try Self.counter(hlcParts[1], path: path + ".hlc")
        let wall = try Self.counter(members["wall"]!, path: path + ".wall")
        return FieldSibling(value: members["value"]!, dot: Dot(replica: replica, counter: counter),
                            hlc: HLCTimestamp(milliseconds: milliseconds, logical: logical),
                            author: author, wallMilliseconds: wall)
    }

    private static func object(_ json: JSONValue, path: String) throws(CoreError) -> [String: JSONValue] {
        guard case .object(let members) = json else {
            throw CoreError(.wrongType, "expected an object, not \(json.kindName)", field: path)
        }
        return members
    }

    private static func expectKeys(_ members: [String: JSONValue], _ keys: [String], path: String) throws(CoreError) {
        let prefix = path.isEmpty ? "" : path + "."
        for key in keys where members[key] == nil {
            throw CoreError(.missingKey, "required member is missing", field: prefix + key)
        }
        if members.count != keys.count {
            let unknown = members.keys.filter { !keys.contains($0) }.sorted(by: CanonicalJSON.precedes)
            throw CoreError(.unexpectedKey, "unknown member", field: prefix + (unknown.first ?? ""))
        }
    }

    /// A non-negative integer no greater than `Dot.maximumCounter`.
    private static func counter(_ json: JSONValue, path: String) throws(CoreError) -> Int64 {
        switch json {
        case .integer(let value):
            guard value >= 0 else { throw CoreError(.negativeCounter, "counters and clocks are never negative", field: path) }
            guard value <= Dot.maximumCounter else {
                throw CoreError(.counterOverflow, "exceeds \(Dot.maximumCounter)", field: path)
            }
            return value
        case .double(let value) where value.rounded() == value:
            // Integers too large for Int64 parse as doubles; call them what they are.
            throw CoreError(value < 0 ? .negativeCounter : .counterOverflow, "integer out of range", field: path)
        default:
            throw CoreError(.wrongType, "expected an integer, not \(json.kindName)", field: path)
        }
    }
}
