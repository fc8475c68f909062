/// The fields a collection allows. Every field outside the schema is refused, so a typo in
/// an integration fails loudly instead of syncing a field nobody reads.
public struct CollectionSchema: Sendable {
    public let collection: CollectionName
    public let fields: [String: FieldRule]

    public init(_ collection: CollectionName, _ fields: [String: FieldRule]) {
        // Every record is about one patient and may be voided (makulering: records are never
        // physically deleted, a voiding is a normal field that merges like any other).
        var all = fields
        all["patient"] = FieldRule(.patientIdentifier, required: true)
        all["voided"] = FieldRule(.object(["reason": .text(maximumBytes: 2_000), "by": .hsaID]))
        self.collection = collection
        self.fields = all
        requiredFields = all.filter(\.value.requiredOnCreate).map(\.key).sorted()
    }

    /// The names of the fields a new record must set, sorted. Stored: every new record of
    /// a push asks for them.
    public let requiredFields: [String]

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
