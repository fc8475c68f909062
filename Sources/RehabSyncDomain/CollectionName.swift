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
}
