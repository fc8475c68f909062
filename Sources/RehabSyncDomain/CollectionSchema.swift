/// The fields a collection allows. Every field outside the schema is refused, so a typo in
/// an integration fails loudly instead of syncing a field nobody reads.
///
/// A class, not a struct, though it never changes: every pushed record's validation takes
/// its collection's schema, and copying a struct of six arrays and a dictionary meant six
/// atomic reference-count increments (and as many decrements) on storage that every worker
/// thread shares, a cache line the cores then passed back and forth.
public final class CollectionSchema: Sendable {
    public let collection: CollectionName
    public let fields: [String: FieldRule]

    /// A schema of `fields` and the two every collection has, `patient` and `voided`: at
    /// most ``FieldSet/capacity`` (64) in all.
    public init(_ collection: CollectionName, _ fields: [String: FieldRule]) {
        // Every record is about one patient and may be voided (makulering: records are never
        // physically deleted, a voiding is a normal field that merges like any other).
        var all = fields
        all["patient"] = FieldRule(.patientIdentifier, required: true)
        all["voided"] = FieldRule(.object(["reason": .text(maximumBytes: 2_000), "by": .hsaID]))
        self.collection = collection
        self.fields = all
        requiredFields = all.filter(\.value.requiredOnCreate).map(\.key).sorted()
        let ordered = all.sorted { $0.key < $1.key }
        precondition(ordered.count <= FieldSet.capacity, "a schema has at most \(FieldSet.capacity) fields")
        names = ordered.map(\.key)
        rules = ordered.map(\.value)
        var required = FieldSet()
        for (position, entry) in ordered.enumerated() where entry.value.requiredOnCreate { required.insert(position) }
        self.required = required
        pastDates = CollectionRules.pastDates.compactMap { name in ordered.firstIndex { $0.key == name } }
        pastTimes = CollectionRules.pastTimes.compactMap { name in ordered.firstIndex { $0.key == name } }
    }

    /// The names of the fields a new record must set, sorted. Stored: every new record of
    /// a push asks for them.
    public let requiredFields: [String]

    /// The field names in `<` order (byte order: field names are ASCII), and each one's rule
    /// at the same position. A record keeps its fields in the same order, so the validator
    /// walks along these instead of hashing every name for ``fields``.
    let names: [String]
    let rules: [FieldRule]
    /// The positions of ``requiredFields``.
    let required: FieldSet
    /// The positions of the ``CollectionRules/pastDates`` and ``CollectionRules/pastTimes``
    /// this collection has, in the order of those lists (the order their refusals are tried in).
    let pastDates: [Int]
    let pastTimes: [Int]

    /// The position of the field `name`, as ``fields`` finds it (by `==`), or nil when the
    /// collection has no such field. Looks from `start` on first: asked for a record's
    /// fields in order, with `start` just after the previous one's position, it finds each
    /// in a step or two; out of order it still looks at every name.
    func position(of name: String, from start: Int) -> Int? {
        var position = start
        while position < names.count {
            if names[position] == name { return position }
            position += 1
        }
        position = 0
        while position < min(start, names.count) {
            if names[position] == name { return position }
            position += 1
        }
        return nil
    }

    /// The positions of the named fields, for rules to find the fields they involve once,
    /// not by name for every record. Every name must be one of the collection's: a
    /// misspelt one would silently switch its rule off.
    func positions(_ names: String...) -> FieldSet {
        var result = FieldSet()
        for name in names {
            guard let position = position(of: name, from: 0) else {
                preconditionFailure("\(collection.rawValue) has no field \(name)")
            }
            result.insert(position)
        }
        return result
    }

    /// The schema of a collection.
    public static func of(_ collection: CollectionName) -> CollectionSchema {
        switch collection {
        case .patients: patients
        case .carePlans: carePlans
        case .planGoals: planGoals
        case .plannedInterventions: plannedInterventions
        case .assessments: assessments
        case .handovers: handovers
        case .referrals: referrals
        }
    }
}
