/// The raw tallies of one reporting care unit in one month, before suppression. Patients
/// are counted once per measure by a 64-bit key derived from the identifier; the
/// identifier itself is never kept here and never leaves the server.
public struct UnitMonthFigures: Hashable, Sendable {
    public var structuredInstrumentPatients: Set<Int> = []
    public var needsAssessmentPatients: Set<Int> = []
    public var minVardplanPatients: Set<Int> = []
    public var minVardplanRevisions = 0
    public var rehabilitationPlanPatients: Set<Int> = []
    public var performedByKVA: [String: Int] = [:]
    public var performedByProfession: [String: Int] = [:]
    public var performedTotal = 0
    public var plansByNeedLevel: [String: Int] = [:]
    public var plansTotal = 0
    public var beyondBasicPatients: Set<Int> = []
    public var beyondBasicOffered = 0
    public var handoversInitiated = 0
    public var handoversConfirmed = 0
    public var daysToConfirmation = DayHistogram()
    public var waitingDays = DayHistogram()
    public var referralsAccepted = 0
    public var referralsDeclined = 0

    public init() {}

    /// Adds tallies made from other records of the same unit and month.
    public mutating func absorb(_ other: UnitMonthFigures) {
        structuredInstrumentPatients.formUnion(other.structuredInstrumentPatients)
        needsAssessmentPatients.formUnion(other.needsAssessmentPatients)
        minVardplanPatients.formUnion(other.minVardplanPatients)
        minVardplanRevisions += other.minVardplanRevisions
        rehabilitationPlanPatients.formUnion(other.rehabilitationPlanPatients)
        performedByKVA.merge(other.performedByKVA, uniquingKeysWith: +)
        performedByProfession.merge(other.performedByProfession, uniquingKeysWith: +)
        performedTotal += other.performedTotal
        plansByNeedLevel.merge(other.plansByNeedLevel, uniquingKeysWith: +)
        plansTotal += other.plansTotal
        beyondBasicPatients.formUnion(other.beyondBasicPatients)
        beyondBasicOffered += other.beyondBasicOffered
        handoversInitiated += other.handoversInitiated
        handoversConfirmed += other.handoversConfirmed
        daysToConfirmation.absorb(other.daysToConfirmation)
        waitingDays.absorb(other.waitingDays)
        referralsAccepted += other.referralsAccepted
        referralsDeclined += other.referralsDeclined
    }

    static let groupSystem = "\(ExportMeasure.canonicalBase)/CodeSystem/measure-group"
    static let professionSystem = "\(ExportMeasure.canonicalBase)/CodeSystem/profession"
    static let needLevelSystem = "\(ExportMeasure.canonicalBase)/CodeSystem/need-level"
    /// KVÅ's OID as Inera's contracts use it (domain brief §2); HL7 Sweden has no URI for it.
    static let kvaSystem = "urn:oid:1.2.752.116.1.3.2.1.4"
    static let notRecorded = "notRecorded"

    /// The figures of one measure, raw.
    public func figures(for measure: ExportMeasure) -> MeasureFigures {
        typealias F = MeasureFigures
        func single(_ code: String, _ count: Int, score: Double?? = nil) -> F.Group {
            var group = F.Group(code: code, populations: [F.Population(code: "initial-population", cell: .count(count))])
            if let score { group.score = F.Score(days: score, masked: false) }
            return group
        }
        func strata(_ counts: [String: Int], _ values: [String]) -> [F.Stratum] {
            let all = values + counts.keys.filter { !values.contains($0) }.sorted()
            return all.map { F.Stratum(value: $0, cell: .count(counts[$0] ?? 0)) }
        }
        switch measure {
        case .needsAssessment:
            return F(measure: measure, groups: [
                single("structured-instrument", structuredInstrumentPatients.count),
                single("AW019", needsAssessmentPatients.count),
            ])
        case .minVardplan:
            return F(measure: measure, groups: [single("XV019", minVardplanPatients.count), single("XV020", minVardplanRevisions)])
        case .rehabilitationPlan:
            return F(measure: measure, groups: [single("AW020", rehabilitationPlanPatients.count)])
        case .interventions:
            var group = single("performed", performedTotal)
            group.stratifiers = [
                F.Stratifier(code: "kva-code", system: Self.kvaSystem, strata: strata(performedByKVA, [])),
                F.Stratifier(code: "profession", system: Self.professionSystem, strata: strata(performedByProfession, [])),
            ]
            return F(measure: measure, groups: [group])
        case .needLevels:
            var group = single("care-plans", plansTotal)
            group.stratifiers = [F.Stratifier(code: "need-level", system: Self.needLevelSystem,
                                              strata: strata(plansByNeedLevel, MonthlyAggregator.needLevels + [Self.notRecorded]))]
            return F(measure: measure, groups: [group])
        case .professionalOffered:
            return F(measure: measure, groups: [F.Group(code: "beyond-basic-needs", populations: [
                F.Population(code: "denominator", cell: .count(beyondBasicPatients.count)),
                F.Population(code: "numerator", cell: .count(beyondBasicOffered)),
            ])])
        case .activeHandover:
            return F(measure: measure, groups: [
                single("initiated", handoversInitiated),
                single("contact-confirmed", handoversConfirmed, score: .some(daysToConfirmation.median)),
            ])
        case .referralWaitingTime:
            return F(measure: measure, groups: [
                single("first-contact-median", waitingDays.total, score: .some(waitingDays.median)),
                single("first-contact-p90", waitingDays.total, score: .some(waitingDays.percentile(90))),
                single("accepted", referralsAccepted),
                single("declined", referralsDeclined),
            ])
        }
    }
}
