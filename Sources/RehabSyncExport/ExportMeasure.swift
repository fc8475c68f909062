/// The measures a job can report. Each is one FHIR `MeasureReport` per care unit and month,
/// identified by a canonical URL under ``canonicalBase``; the README lists what each counts.
public enum ExportMeasure: String, Hashable, Sendable, CaseIterable {
    /// Patients assessed with a structured instrument (AU010 or a completed assessment) and with AW019.
    case needsAssessment = "needs-assessment"
    /// Patients offered Min vårdplan (XV019) and its revisions (XV020).
    case minVardplan = "min-vardplan"
    /// Patients whose rehabilitation plan was established (AW020).
    case rehabilitationPlan = "rehabilitation-plan"
    /// Performed interventions by KVÅ code and by profession.
    case interventions = "interventions"
    /// Need levels of the care plans in force in the month.
    case needLevels = "need-levels"
    /// The national goal: patients with more than basic needs offered a rehabilitation professional.
    case professionalOffered = "rehabilitation-professional-offered"
    /// Active handovers initiated and confirmed, and the days between.
    case activeHandover = "active-handover"
    /// Referral waiting time from received to first contact, and decisions.
    case referralWaitingTime = "referral-waiting-time"

    /// Where RehabSync's measure definitions live. `.example` because no public body has
    /// published canonical measures for this yet; a region that agrees URLs with the
    /// register changes this one constant.
    public static let canonicalBase = "https://rehabsync.example/fhir"

    /// The canonical URL of the measure.
    public var canonicalURL: String { "\(Self.canonicalBase)/Measure/\(rawValue)" }
}
