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
        var units = careUnits
        if units.count > 1 {
            units.sort()
            units = units.enumerated().filter { $0.offset == 0 || units[$0.offset - 1] != $0.element }.map(\.element)
        }
        self.careUnits = units
    }

    /// Derives a record's placement from its state.
    public typealias Rule = @Sendable (_ collection: String, _ state: RecordState) throws -> RecordPlacement

    /// The fields ``fromFields`` reads.
    public static let fromFieldsReads: Set<String> = ["patient", "careUnits"]

    /// The plainest rule: the provisional values of the `patient` (string) and
    /// `careUnits` (array of strings) fields. The domain layer supplies a richer one.
    public static let fromFields: Rule = { _, state in
        let units = state["careUnits"]?.provisional.value.arrayValue?.compactMap(\.stringValue) ?? []
        return RecordPlacement(patient: state["patient"]?.provisional.value.stringValue, careUnits: units)
    }
}
