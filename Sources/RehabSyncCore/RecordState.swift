/// The replicated state of one record: per field, the set of sibling values, and the
/// causal context (every write to this record that this state has seen).
///
/// This is the merge of ../shared/design/sync-semantics.md, section "The merge":
/// `applying(_:)` is a local write, `joined(with:)` is the join. Both keep the
/// invariants that decoding checks: every field has at least one sibling, siblings are
/// sorted by dot with no dot twice, and the context covers every sibling's dot.
public struct RecordState: Hashable, Sendable {
    /// One field and its siblings, sorted by dot.
    public struct Field: Hashable, Sendable {
        public let name: String
        public let siblings: [FieldSibling]

        /// Whether concurrent writes left more than one value.
        public var isInConflict: Bool { siblings.count > 1 }

        /// The sibling written as `dot`, if this field holds it. Siblings are sorted by dot,
        /// so a binary search: checking a push asks this for every sibling it brings.
        public func sibling(withDot dot: Dot) -> FieldSibling? {
            siblings.sortedLookup(dot) { $0.dot }
        }

        /// The value every replica shows while the field is in conflict: the sibling
        /// with the greatest `(hlc, replicaId)`.
        public var provisional: FieldSibling {
            // Safe because a field is never stored with an empty sibling list
            // (decoding refuses it and the join drops fields that would be empty).
            siblings.max(by: FieldSibling.provisionalOrder)!
        }
    }

    /// Field names: ASCII letters, digits and `_`, starting with a letter, at most this
    /// many bytes. The canonical order (by bytes) then agrees with every language's.
    public static let maximumFieldNameLength = 64

    /// Everything this state has seen.
    public internal(set) var context: VersionVector
    /// The fields, sorted by name.
    public internal(set) var fields: [Field]

    /// The state of a record nobody has written yet.
    public init() {
        context = VersionVector()
        fields = []
    }

    /// Builds a state from parts, checking every invariant; used by decoding and tests.
    public init(context: VersionVector, fields: [Field]) throws(CoreError) {
        self.context = context
        // Field names are ASCII identifiers (validate() refuses others), and for ASCII
        // String's `<` is byte order, the canonical order, without the generic UTF-8 walk.
        self.fields = fields.sorted { $0.name < $1.name }
        try validate()
    }

    /// A state from parts that ``CanonicalStateCheck`` has read from canonical bytes: the
    /// check holds them to every invariant ``validate()`` checks (and the fields come in
    /// name order), so neither the sort nor the validation is done again.
    init(checkedContext context: VersionVector, fields: [Field]) {
        self.context = context
        self.fields = fields
    }

    /// The field named `name`, if any write has set it.
    public subscript(name: String) -> Field? {
        // Fields are kept sorted by name (the same `<` as in `init(context:fields:)`), so a
        // binary search: the server asks this several times for every record it checks.
        fields.sortedLookup(name) { $0.name }
    }

    /// The provisional value of every field.
    public var provisionalValues: [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for field in fields { values[field.name] = field.provisional.value }
        return values
    }

    /// The provisional values looked up by name, without building a dictionary.
    public var provisional: ProvisionalValues { ProvisionalValues(state: self) }

    /// The fields with more than one sibling.
    public var conflictingFields: [Field] { fields.filter(\.isInConflict) }

    /// The greatest hybrid-clock reading of any sibling; zero for a state with no fields.
    public var newestClock: HLCTimestamp {
        var newest = HLCTimestamp.zero
        for field in fields {
            for sibling in field.siblings where sibling.hlc > newest { newest = sibling.hlc }
        }
        return newest
    }

    /// Whether any field is in conflict.
    public var isInConflict: Bool { fields.contains(where: \.isInConflict) }

    /// Whether a field name is acceptable.
    public static func isValidFieldName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard let first = bytes.first, bytes.count <= maximumFieldNameLength else { return false }
            guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first)
            else { return false }
            for byte in bytes {
                let isLetter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                guard isLetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") else { return false }
            }
            return true
        }
    }

    /// A local write: each field in `values` gets the single sibling `(value, stamp.dot)`,
    /// replacing whatever siblings it had (this is also how a conflict is resolved, since
    /// the local state holds every sibling the writer has seen), and the context records
    /// the new dot.
    ///
    /// The dot must be new to this record: a reused or older dot would let the write be
    /// mistaken for one already seen, so it is refused.
    public func applying(_ values: [String: JSONValue], stamp: WriteStamp) throws(CoreError) -> RecordState {
        guard !values.isEmpty else { throw CoreError(.emptyWrite, "a write must set at least one field") }
        guard stamp.dot.counter > context[stamp.dot.replica] else {
            throw CoreError(.staleDot, "dot \(stamp.dot) is not newer than this record's context")
        }
        guard stamp.dot.counter > 0, stamp.dot.counter <= Dot.maximumCounter else {
            throw CoreError(.counterOverflow, "dot counter out of range")
        }
        for name in values.keys where !Self.isValidFieldName(name) {
            throw CoreError(.invalidFieldName, "field names are ASCII identifiers of at most \(Self.maximumFieldNameLength) bytes", field: name)
        }
        var byName: [String: [FieldSibling]] = [:]
        for field in fields { byName[field.name] = field.siblings }
        for (name, value) in values {
            byName[name] = [FieldSibling(value: value, dot: stamp.dot, hlc: stamp.hlc,
                                         author: stamp.author, wallMilliseconds: stamp.wallMilliseconds)]
        }
        var result = RecordState()
        result.fields = byName.keys.sorted().map { name in
            // Safe because `name` comes from `byName.keys`.
            Field(name: name, siblings: byName[name]!)
        }
        result.context = context
        result.context.raise(stamp.dot.replica, to: stamp.dot.counter)
        return result
    }

    /// The join of two states of the same record. For each field it keeps every sibling
    /// of one side that the other side has not seen or also holds; the context is the
    /// pointwise maximum. Commutative, associative and idempotent.
    public func joined(with other: RecordState) -> RecordState {
        var result = RecordState()
        result.context = context.merged(with: other.context)
        var merged: [Field] = []
        merged.reserveCapacity(max(fields.count, other.fields.count))
        var left = 0
        var right = 0
        while left < fields.count || right < other.fields.count {
            let siblings: [FieldSibling]
            let name: String
            if left < fields.count, right < other.fields.count, fields[left].name == other.fields[right].name {
                // Checked first: both sides nearly always have the same fields.
                name = fields[left].name
                siblings = Self.joinSiblings(fields[left].siblings, context,
                                             other.fields[right].siblings, other.context)
                left += 1
                right += 1
            } else if right == other.fields.count
                || (left < fields.count && fields[left].name < other.fields[right].name) {
                name = fields[left].name
                siblings = fields[left].siblings.filter { !other.context.contains($0.dot) }
                left += 1
            } else {
                name = other.fields[right].name
                siblings = other.fields[right].siblings.filter { !context.contains($0.dot) }
                right += 1
            }
            if !siblings.isEmpty { merged.append(Field(name: name, siblings: siblings)) }
        }
        result.fields = merged
        return result
    }

    /// The sibling rule of the join, for a field both sides have.
    private static func joinSiblings(
        _ mine: [FieldSibling], _ myContext: VersionVector,
        _ theirs: [FieldSibling], _ theirContext: VersionVector
    ) -> [FieldSibling] {
        // Fast path: the overwhelmingly common case of both sides holding the same value.
        if mine == theirs { return mine }
        var kept: [FieldSibling] = []
        var mineIndex = 0
        var theirIndex = 0
        // Both lists are sorted by dot, so one pass pairs up the siblings both hold.
        while mineIndex < mine.count || theirIndex < theirs.count {
            if theirIndex == theirs.count
                || (mineIndex < mine.count && mine[mineIndex].dot < theirs[theirIndex].dot) {
                let sibling = mine[mineIndex]
                if !theirContext.contains(sibling.dot) { kept.append(sibling) }
                mineIndex += 1
            } else if mineIndex == mine.count || theirs[theirIndex].dot < mine[mineIndex].dot {
                let sibling = theirs[theirIndex]
                if !myContext.contains(sibling.dot) { kept.append(sibling) }
                theirIndex += 1
            } else {
                // Both hold this dot. Honest replicas hold identical siblings for one dot;
                // if a corrupt peer sent a different one, pick by bytes so the join stays
                // commutative.
                let a = mine[mineIndex]
                let b = theirs[theirIndex]
                if a == b {
                    kept.append(a)
                } else {
                    kept.append(a.canonicalBytes.lexicographicallyPrecedes(b.canonicalBytes) ? b : a)
                }
                mineIndex += 1
                theirIndex += 1
            }
        }
        return kept
    }

    /// Checks the invariants; throws naming the first field that breaks one.
    public func validate() throws(CoreError) {
        for entry in context.entries {
            guard entry.counter <= Dot.maximumCounter else {
                throw CoreError(.counterOverflow, "context counter exceeds \(Dot.maximumCounter)", field: "context.\(entry.replica)")
            }
        }
        var previousName: String?
        for field in fields {
            guard Self.isValidFieldName(field.name) else {
                throw CoreError(.invalidFieldName, "field names are ASCII identifiers of at most \(Self.maximumFieldNameLength) bytes", field: "fields")
            }
            if let previousName, !(previousName < field.name) {
                throw CoreError(.malformedJSON, "field appears twice", field: "fields.\(field.name)")
            }
            previousName = field.name
            guard !field.siblings.isEmpty else {
                throw CoreError(.emptySiblings, "a field must have at least one sibling", field: "fields.\(field.name)")
            }
            var previousDot: Dot?
            for (offset, sibling) in field.siblings.enumerated() {
                // Built only for an error: this runs for every sibling of every decoded state.
                var path: String { "fields.\(field.name)[\(offset)]" }
                if let previousDot, !(previousDot < sibling.dot) {
                    throw CoreError(.duplicateSibling, "siblings must be distinct writes sorted by dot", field: path + ".dot")
                }
                previousDot = sibling.dot
                guard sibling.dot.counter > 0, sibling.dot.counter <= Dot.maximumCounter else {
                    throw CoreError(.counterOverflow, "dot counter out of range", field: path + ".dot")
                }
                guard context.contains(sibling.dot) else {
                    throw CoreError(.uncoveredSibling, "the record's context does not cover this sibling's dot", field: path + ".dot")
                }
                guard (0...Dot.maximumCounter).contains(sibling.hlc.milliseconds),
                    (0...Dot.maximumCounter).contains(sibling.hlc.logical),
                    (0...Dot.maximumCounter).contains(sibling.wallMilliseconds)
                else {
                    throw CoreError(.invalidClock, "clock values must be between 0 and \(Dot.maximumCounter)", field: path + ".hlc")
                }
                guard !sibling.author.isEmpty, sibling.author.utf8.count <= 64 else {
                    throw CoreError(.invalidAuthor, "author must be a non-empty id of at most 64 bytes", field: path + ".author")
                }
            }
        }
    }
}
