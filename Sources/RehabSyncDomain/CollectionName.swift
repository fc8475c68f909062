/// The synced collections of cancer rehabilitation. The raw values are the names used in
/// the sync API and in storage.
public enum CollectionName: String, CaseIterable, Sendable, Hashable {
    /// A care unit's enrolment of a patient in rehabilitation.
    case patients
    /// The rehabilitation plan in Min vårdplan.
    case carePlans
    /// A goal of a plan (a child record, so that two clinics adding goals never conflict).
    case planGoals
    /// A KVÅ-coded intervention of a plan (a child record).
    case plannedInterventions
    /// A Hälsoskattning or similar questionnaire response.
    case assessments
    /// An active handover (aktiv överlämning) between care units.
    case handovers
    /// A referral (remiss) to rehabilitation.
    case referrals

    /// What the collection holds, in one line for people (`rehabsync schema`).
    public var summary: String {
        switch self {
        case .patients: "a care unit's enrolment of a patient in rehabilitation"
        case .carePlans: "the rehabilitation plan (Min vårdplan)"
        case .planGoals: "a goal of a care plan"
        case .plannedInterventions: "a KVÅ-coded intervention of a care plan"
        case .assessments: "a questionnaire response such as Hälsoskattning"
        case .handovers: "an active handover (aktiv överlämning) between care units"
        case .referrals: "a referral (remiss) to rehabilitation, with the pilot's inclusion and exclusion criteria"
        }
    }

    /// The collection of this name, as ``init(rawValue:)`` finds it (by `==`), for the
    /// checks every pushed record goes through: a scan of the few names is about a
    /// tenth of the synthesized initializer's work.
    static func named(_ name: String) -> CollectionName? {
        for (rawValue, collection) in byName where rawValue == name { return collection }
        return nil
    }

    private static let byName = allCases.map { ($0.rawValue, $0) }
}
