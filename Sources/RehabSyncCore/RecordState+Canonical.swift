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
        writer.append(#"{"context":"#)
        context.write(to: &writer)
        writer.append(#","fields":{"#)
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
    ///
    /// Bytes that are exactly a canonical encoding (every state RehabSync stores) are
    /// decoded by ``CanonicalStateCheck``'s single pass, which builds no parser state per
    /// member; anything else is read by the general reader, which names any problem.
    public init(decoding bytes: [UInt8]) throws(CoreError) {
        if let (state, end) = bytes.withUnsafeBufferPointer({ CanonicalStateCheck.wholeState($0, at: 0) }), end == bytes.count {
            self = state
            return
        }
        var reader = JSONParser(bytes)
        try self.init(reading: &reader, path: "")
        try reader.finish()
    }

    /// Decodes a state from a reader positioned at it (a record inside a push batch or a
    /// pull page) without building a JSONValue of its structure. `path` prefixes the
    /// field names in errors.
    public init(reading reader: inout JSONParser, path: @autoclosure () -> String) throws(CoreError) {
        // Paths are built only when an error is thrown: a valid state, the common case,
        // should not pay for string concatenation per sibling.
        func prefix() -> String {
            let path = path()
            return path.isEmpty ? "" : path + "."
        }
        var pairs: [(ReplicaID, Int64)] = []
        var fields: [Field] = []
        // The author of the sibling read last: one clinician usually wrote every field, and
        // sharing the String saves an allocation per sibling.
        var lastAuthor: String?
        guard reader.nextIsObject() else {
            throw CoreError(.wrongType, "expected an object", field: path().isEmpty ? "state" : path())
        }
        let met = try reader.readObject(path: path(), names: Self.stateMembers) { reader, member throws(CoreError) in
            if member == 0 {
                try reader.readObject(path: prefix() + "context") { reader, replicaText throws(CoreError) in
                    pairs.append(try Self.contextEntry(replicaText, try reader.readValue(), path: prefix() + "context." + replicaText))
                }
                return
            }
            try reader.readObject(path: prefix() + "fields") { reader, name throws(CoreError) in
                guard Self.isValidFieldName(name) else {
                    throw CoreError(.invalidFieldName, "field names are ASCII identifiers of at most \(Self.maximumFieldNameLength) bytes", field: prefix() + "fields." + name)
                }
                var siblings: [FieldSibling] = []
                try reader.readArray(path: prefix() + "fields." + name) { reader, offset throws(CoreError) in
                    if let sibling = Self.canonicalSibling(reading: &reader, lastAuthor: &lastAuthor) {
                        siblings.append(sibling)
                    } else {
                        siblings.append(try Self.sibling(reading: &reader, path: "\(prefix())fields.\(name)[\(offset)]"))
                    }
                }
                guard !siblings.isEmpty else {
                    throw CoreError(.emptySiblings, "a field must have at least one sibling", field: prefix() + "fields." + name)
                }
                if siblings.count > 1 { siblings.sort { $0.dot < $1.dot } }
                fields.append(Field(name: name, siblings: siblings))
            }
        }
        if let missing = Self.stateMembers.firstMissing(from: met) {
            throw CoreError(.missingKey, "required member is missing", field: prefix() + missing)
        }
        try self.init(context: VersionVector(pairs), fields: fields, errorPrefix: prefix())
    }

    private static let stateMembers = JSONMemberNames(["context", "fields"])

    /// One sibling read from its exact canonical bytes, or nil, having consumed nothing,
    /// at the first byte that differs; the general reader then reads it (and names any
    /// problem). Every canonical sibling passes here, and all it accepts the general
    /// reader accepts as the same sibling.
    private static func canonicalSibling(reading reader: inout JSONParser, lastAuthor: inout String?) -> FieldSibling? {
        let start = reader.index
        let depth = reader.depth
        func fallBack() -> FieldSibling? {
            reader.index = start
            reader.depth = depth
            return nil
        }
        guard reader.consume(#"{"author":"#),
            let author = reader.consumePlainString({ bytes -> String? in
                if var last = lastAuthor, last.withUTF8({ $0.elementsEqual(bytes) }) { return last }
                return String(decoding: bytes, as: UTF8.self)
            }),
            reader.consume(#","dot":["#),
            let replica = reader.consumePlainString({ ReplicaID.parse($0) }),
            reader.consume(","),
            let counter = reader.consumeCanonicalCounter(maximum: Dot.maximumCounter), counter > 0,
            reader.consume(#"],"hlc":["#),
            let milliseconds = reader.consumeCanonicalCounter(maximum: Dot.maximumCounter),
            reader.consume(","),
            let logical = reader.consumeCanonicalCounter(maximum: Dot.maximumCounter),
            reader.consume(#"],"value":"#),
            let value = try? reader.readNestedValue(),
            reader.consume(#","wall":"#),
            let wall = reader.consumeCanonicalCounter(maximum: Dot.maximumCounter),
            reader.consume("}")
        else { return fallBack() }
        lastAuthor = author
        return FieldSibling(value: value, dot: Dot(replica: replica, counter: counter),
                            hlc: HLCTimestamp(milliseconds: milliseconds, logical: logical),
                            author: author, wallMilliseconds: wall)
    }
    private static let siblingMembers = JSONMemberNames(siblingKeys)

    /// One sibling object, its metadata read as the types it has rather than as JSONValues.
    private static func sibling(reading reader: inout JSONParser, path: @autoclosure () -> String) throws(CoreError) -> FieldSibling {
        var author: String?
        var replica: ReplicaID??
        var dotParts = 0
        var counter: JSONValue = .null
        var hlcParts = 0
        var hlcMilliseconds: JSONValue = .null
        var hlcLogical: JSONValue = .null
        var value: JSONValue?
        var wall: JSONValue = .null
        let met = try reader.readObject(path: path(), names: siblingMembers) { reader, member throws(CoreError) in
            switch member {
            case 0:
                author = try reader.readString(orElse: CoreError(.wrongType, "author must be a string", field: path() + ".author"))
            case 1:
                // Problems are reported after the whole array is read, in the order the
                // shape is checked: length and types first, then the replica id.
                try reader.readArray(path: path() + ".dot") { reader, offset throws(CoreError) in
                    dotParts += 1
                    switch offset {
                    case 0:
                        replica = .some(try reader.readString(orElse: CoreError(.wrongType, "dot must be [replicaId, counter]",
                                                                                field: path() + ".dot")) { ReplicaID.parse($0) })
                    case 1: counter = try reader.readValue()
                    default: _ = try reader.readValue()
                    }
                }
            case 2:
                try reader.readArray(path: path() + ".hlc") { reader, offset throws(CoreError) in
                    hlcParts += 1
                    switch offset {
                    case 0: hlcMilliseconds = try reader.readValue()
                    case 1: hlcLogical = try reader.readValue()
                    default: _ = try reader.readValue()
                    }
                }
            case 3:
                value = try reader.readValue()
            default:
                wall = try reader.readValue()
            }
        }
        if let missing = siblingMembers.firstMissing(from: met) {
            throw CoreError(.missingKey, "required member is missing", field: path() + "." + missing)
        }
        // Every member was met, so author and value were read.
        guard let author, let value else { throw CoreError(.missingKey, "required member is missing", field: path()) }
        guard dotParts == 2, case .some(let parsed) = replica else {
            throw CoreError(.wrongType, "dot must be [replicaId, counter]", field: path() + ".dot")
        }
        guard let parsed else {
            throw CoreError(.invalidReplicaID, "replica ids are lowercase UUIDs", field: path() + ".dot")
        }
        let dotCounter = try Self.counter(counter, path: path() + ".dot")
        guard dotCounter > 0 else {
            throw CoreError(.negativeCounter, "dot counters are positive", field: path() + ".dot")
        }
        guard hlcParts == 2 else {
            throw CoreError(.wrongType, "hlc must be [milliseconds, logical]", field: path() + ".hlc")
        }
        let milliseconds = try Self.counter(hlcMilliseconds, path: path() + ".hlc")
        let logical = try Self.counter(hlcLogical, path: path() + ".hlc")
        let wallMilliseconds = try Self.counter(wall, path: path() + ".wall")
        return FieldSibling(value: value, dot: Dot(replica: parsed, counter: dotCounter),
                            hlc: HLCTimestamp(milliseconds: milliseconds, logical: logical),
                            author: author, wallMilliseconds: wallMilliseconds)
    }

    private static let siblingKeys = ["author", "dot", "hlc", "value", "wall"]

    private static func contextEntry(_ replicaText: String, _ value: JSONValue, path: @autoclosure () -> String) throws(CoreError) -> (ReplicaID, Int64) {
        guard let replica = ReplicaID(replicaText) else {
            throw CoreError(.invalidReplicaID, "replica ids are lowercase UUIDs", field: path())
        }
        let counter = try counter(value, path: path())
        guard counter > 0 else {
            throw CoreError(.negativeCounter, "context counters are positive", field: path())
        }
        return (replica, counter)
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
            pairs.append(try Self.contextEntry(key, value, path: prefix + "context." + key))
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
        try self.init(context: VersionVector(pairs), fields: fields, errorPrefix: prefix)
    }

    private static func sibling(_ json: JSONValue, path: String) throws(CoreError) -> FieldSibling {
        try sibling(try object(json, path: path), path: path)
    }

    private static func sibling(_ members: [String: JSONValue], path: String) throws(CoreError) -> FieldSibling {
        try expectKeys(members, siblingKeys, path: path)
        // Safe because expectKeys checked that every key is present.
        return try sibling(author: members["author"]!, dot: members["dot"]!, hlc: members["hlc"]!, value: members["value"]!,
                           wall: members["wall"]!, path: path)
    }

    private static func sibling(author authorValue: JSONValue, dot dotValue: JSONValue, hlc hlcValue: JSONValue,
                                value: JSONValue, wall wallValue: JSONValue,
                                path: @autoclosure () -> String) throws(CoreError) -> FieldSibling {
        guard case .string(let author) = authorValue else {
            throw CoreError(.wrongType, "author must be a string", field: path() + ".author")
        }
        guard case .array(let dotParts) = dotValue, dotParts.count == 2,
            case .string(let replicaText) = dotParts[0]
        else {
            throw CoreError(.wrongType, "dot must be [replicaId, counter]", field: path() + ".dot")
        }
        guard let replica = ReplicaID(replicaText) else {
            throw CoreError(.invalidReplicaID, "replica ids are lowercase UUIDs", field: path() + ".dot")
        }
        let counter = try Self.counter(dotParts[1], path: path() + ".dot")
        guard counter > 0 else {
            throw CoreError(.negativeCounter, "dot counters are positive", field: path() + ".dot")
        }
        guard case .array(let hlcParts) = hlcValue, hlcParts.count == 2 else {
            throw CoreError(.wrongType, "hlc must be [milliseconds, logical]", field: path() + ".hlc")
        }
        let milliseconds = try Self.counter(hlcParts[0], path: path() + ".hlc")
        let logical = try Self.counter(hlcParts[1], path: path() + ".hlc")
        let wall = try Self.counter(wallValue, path: path() + ".wall")
        return FieldSibling(value: value, dot: Dot(replica: replica, counter: counter),
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
            throw CoreError.unknownMember(unknown.first ?? "", under: path)
        }
    }

    /// A non-negative integer no greater than `Dot.maximumCounter`.
    private static func counter(_ json: JSONValue, path: @autoclosure () -> String) throws(CoreError) -> Int64 {
        // A counter written with a zero fraction (`3.0`) is the number 3, as JSON Schema's
        // integer says; canonical encoding writes it back as `3`.
        if let value = json.wholeNumberValue {
            guard value >= 0 else { throw CoreError(.negativeCounter, "counters and clocks are never negative", field: path()) }
            guard value <= Dot.maximumCounter else {
                throw CoreError(.counterOverflow, "exceeds \(Dot.maximumCounter)", field: path())
            }
            return value
        }
        switch json {
        case .double(let value) where value.rounded() == value:
            // Integers too large for Int64 parse as doubles; call them what they are.
            throw CoreError(value < 0 ? .negativeCounter : .counterOverflow, "integer out of range", field: path())
        default:
            throw CoreError(.wrongType, "expected an integer, not \(json.kindName)", field: path())
        }
    }

    /// The state of `context` and `fields`, its invariants checked; a broken one is named
    /// under `errorPrefix` (the state's own path in a batch), like every other problem of
    /// the state, so that the batch answers it as a bad state rather than a bad batch.
    private init(context: VersionVector, fields: [Field], errorPrefix: String) throws(CoreError) {
        do {
            try self.init(context: context, fields: fields)
        } catch {
            throw CoreError(error.code, error.message, field: errorPrefix + (error.field ?? ""))
        }
    }
}
