import RehabSyncCore

/// Where a record belongs: the patient it is about and the care units (HSA-ids) that may
/// see it. Storage indexes by these; which fields they come from is the domain's business,
/// so a ``RecordStore`` is given a function that derives them from a state.
public struct RecordPlacement: Hashable, Sendable {
    public var patient: String?
    public var careUnits: [String]

    public init(patient: String?, careUnits: [String]) {
        self.patient = patient
        // Sorted and unique: the same units in another order are the same placement.
        self.careUnits = Array(Set(careUnits)).sorted()
    }

    /// Derives a record's placement from its state.
    public typealias Rule = @Sendable (_ collection: String, _ state: RecordState) throws -> RecordPlacement

    /// The plainest rule: the provisional values of the `patient` (string) and
    /// `careUnits` (array of strings) fields. The domain layer supplies a richer one.
    public static let fromFields: Rule = { _, state in
        let values = state.provisionalValues
        let units = values["careUnits"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return RecordPlacement(patient: values["patient"]?.stringValue, careUnits: units)
    }
}
