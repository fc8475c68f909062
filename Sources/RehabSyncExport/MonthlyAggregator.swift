import RehabSyncCore
import RehabSyncDomain

/// Tallies records into ``UnitMonthFigures`` per reporting care unit and month, for a
/// chosen set of months. Pure: it is fed one decoded record at a time and keeps only
/// tallies, never the records. Feed collections in ``collectionOrder``: the national goal
/// needs to know which patients have more than basic needs before it sees the interventions.
///
/// Mapping of each measure to the stored fields (the README repeats it):
/// - a record counts for each of its `careUnits`; a handover for its `sendingUnit`, a
///   referral for its `receivingUnit`; a voided record never counts;
/// - interventions count as performed when `status` is `completed` and `performedDate` is in
///   the month; AU010, AW019, AW020, XV019 count patients, XV020 counts revisions;
/// - a completed assessment `authored` in the month counts as a structured instrument (as AU010 does);
/// - a care plan `established` in the month counts for AW020 and, unless a draft, for the
///   need-level distribution and the national goal's denominator (need level above basic);
///   the numerator is those of them with a non-cancelled intervention by a rehabilitation profession;
/// - handovers carry no dates, so initiation is the device time of the write that set the
///   `carePlan` (written once, at initiation) and confirmation that of the `status` write
///   that made it `contactConfirmed`, both read as Swedish dates;
/// - referral waiting time runs from `received` to `firstContact` (counted in the month of
///   first contact); decisions count in the month of `decided`.
public struct MonthlyAggregator: Sendable {
    public static let collectionOrder = ["carePlans", "plannedInterventions", "assessments", "handovers", "referrals"]
    /// The fields each collection's tally reads; nothing else is decoded.
    public static let fieldsRead: [String: CanonicalStateScanner] = [
        "carePlans": CanonicalStateScanner(wanted: ["voided", "careUnits", "established", "needLevel", "status"]),
        "plannedInterventions": CanonicalStateScanner(wanted: ["voided", "careUnits", "kvaCode", "profession", "status", "performedDate"]),
        "assessments": CanonicalStateScanner(wanted: ["voided", "careUnits", "status", "authored"]),
        "handovers": CanonicalStateScanner(wanted: ["voided", "sendingUnit", "carePlan", "status"]),
        "referrals": CanonicalStateScanner(wanted: ["voided", "receivingUnit", "received", "firstContact", "decided", "decision"]),
    ]
    static let needLevels = CollectionSchema.Vocabulary.needLevels
    static let rehabilitationProfessions: Set<String> = [
        "occupationalTherapist", "physiotherapist", "dietitian", "counsellor", "speechTherapist", "psychologist",
    ]

    /// A unit in a month.
    public struct Key: Hashable, Sendable, Comparable {
        public let unit: String
        public let period: ReportingPeriod

        public init(unit: String, period: ReportingPeriod) {
            self.unit = unit
            self.period = period
        }

        public static func < (lhs: Key, rhs: Key) -> Bool { (lhs.period, lhs.unit) < (rhs.period, rhs.unit) }
    }

    public let periods: Set<ReportingPeriod>
    public private(set) var figures: [Key: UnitMonthFigures] = [:]
    /// Patients whose plans put them above basic needs, and the months and units that count them.
    private var beyondBasic: [Int: Set<Key>] = [:]
    private var offered: Set<Int> = []

    public init(periods: Set<ReportingPeriod>) {
        self.periods = periods
    }

    /// An aggregator that knows the plans this one has seen but holds no tallies: a second
    /// reader continues with it over other rows, and ``absorb(_:)`` joins the two.
    public func continuing() -> MonthlyAggregator {
        var copy = MonthlyAggregator(periods: periods)
        copy.beyondBasic = beyondBasic
        return copy
    }

    /// Adds the tallies of an aggregator that ``continuing()`` made from this one (or from
    /// the same plans) and that saw other records.
    public mutating func absorb(_ other: MonthlyAggregator) {
        for (key, figures) in other.figures { self.figures[key, default: UnitMonthFigures()].absorb(figures) }
        offered.formUnion(other.offered)
    }

    /// The figures with the national goal's numerator filled in.
    public func result() -> [Key: UnitMonthFigures] {
        var result = figures
        for (patient, keys) in beyondBasic where offered.contains(patient) {
            for key in keys { result[key]?.beyondBasicOffered += 1 }
        }
        return result
    }

    private func period(_ date: CivilDate?) -> ReportingPeriod? {
        guard let date else { return nil }
        let period = ReportingPeriod(containing: date)
        return periods.contains(period) ? period : nil
    }

    private static func date(_ value: JSONValue?) -> CivilDate? {
        value?.stringValue.flatMap { CivilDate(iso: $0) }
    }

    private static func units(_ value: JSONValue?) -> [String] {
        value?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    private mutating func tally(_ units: [String], _ period: ReportingPeriod, _ body: (inout UnitMonthFigures) -> Void) {
        for unit in units { body(&figures[Key(unit: unit, period: period), default: UnitMonthFigures()]) }
    }

    /// Adds one record of `collection`, decoded in full.
    public mutating func add(collection: String, patient: String?, state: RecordState) {
        add(collection: collection, patient: patient, fields: DecodedRecordFields(state: state))
    }

    /// Adds one record of `collection`. Each branch reads its date first and stops there for
    /// a record of another month, so most of a database's history costs a scan and no decoding.
    public mutating func add(collection: String, patient: String?, fields: some RecordFields) {
        if let voided = fields.value("voided"), voided != .null { return }
        switch collection {
        case "carePlans":
            guard let month = period(fields.date("established")) else { return }
            let patientKey = Self.key(patient)
            let units = Self.units(fields.value("careUnits"))
            let level = fields.value("needLevel")?.stringValue
            let inForce = !fields.equals("status", "draft")
            tally(units, month) { figures in
                figures.rehabilitationPlanPatients.insert(patientKey)
                guard inForce else { return }
                figures.plansTotal += 1
                figures.plansByNeedLevel[level ?? UnitMonthFigures.notRecorded, default: 0] += 1
                if let level, level != Self.needLevels[0] { figures.beyondBasicPatients.insert(patientKey) }
            }
            if inForce, let level, level != Self.needLevels[0] {
                for unit in units { beyondBasic[patientKey, default: []].insert(Key(unit: unit, period: month)) }
            }
        case "plannedInterventions":
            let month = period(fields.date("performedDate"))
            let completed = fields.equals("status", "completed")
            let patientKey = Self.key(patient)
            if !beyondBasic.isEmpty, beyondBasic[patientKey] != nil, !fields.equals("status", "cancelled"),
               let profession = fields.value("profession")?.stringValue, Self.rehabilitationProfessions.contains(profession) {
                offered.insert(patientKey)
            }
            guard completed, let month, let code = fields.value("kvaCode")?.stringValue else { return }
            let profession = fields.value("profession")?.stringValue ?? "other"
            tally(Self.units(fields.value("careUnits")), month) { figures in
                figures.performedTotal += 1
                figures.performedByKVA[code, default: 0] += 1
                figures.performedByProfession[profession, default: 0] += 1
                switch code {
                case "AU010": figures.structuredInstrumentPatients.insert(patientKey)
                case "AW019": figures.needsAssessmentPatients.insert(patientKey)
                case "AW020": figures.rehabilitationPlanPatients.insert(patientKey)
                case "XV019": figures.minVardplanPatients.insert(patientKey)
                case "XV020": figures.minVardplanRevisions += 1
                default: break
                }
            }
        case "assessments":
            guard fields.equals("status", "completed"),
                  let instant = fields.value("authored")?.stringValue.flatMap(InstantText.unixMilliseconds),
                  let month = period(CivilDate.swedishToday(unixMilliseconds: instant)) else { return }
            let patientKey = Self.key(patient)
            tally(Self.units(fields.value("careUnits")), month) { $0.structuredInstrumentPatients.insert(patientKey) }
        case "handovers":
            guard let initiatedAt = fields.wall("carePlan") else { return }
            let initiated = CivilDate.swedishToday(unixMilliseconds: initiatedAt)
            let initiatedMonth = period(initiated)
            let confirmedAt = fields.equals("status", "contactConfirmed") ? fields.wall("status") : nil
            let confirmed = confirmedAt.map { CivilDate.swedishToday(unixMilliseconds: $0) }
            let confirmedMonth = period(confirmed)
            guard initiatedMonth != nil || confirmedMonth != nil, let unit = fields.value("sendingUnit")?.stringValue else { return }
            if let initiatedMonth { tally([unit], initiatedMonth) { $0.handoversInitiated += 1 } }
            if let confirmedMonth, let confirmed {
                let days = max(0, confirmed.daysSinceEpoch - initiated.daysSinceEpoch)
                tally([unit], confirmedMonth) { figures in
                    figures.handoversConfirmed += 1
                    figures.daysToConfirmation.add(days)
                }
            }
        case "referrals":
            let contact = fields.date("firstContact")
            let contactMonth = period(contact)
            let decidedMonth = period(fields.date("decided"))
            guard contactMonth != nil || decidedMonth != nil, let unit = fields.value("receivingUnit")?.stringValue else { return }
            if let contactMonth, let contact, let received = fields.date("received") {
                tally([unit], contactMonth) { $0.waitingDays.add(max(0, contact.daysSinceEpoch - received.daysSinceEpoch)) }
            }
            if let decidedMonth {
                if fields.equals("decision", "accepted") { tally([unit], decidedMonth) { $0.referralsAccepted += 1 } }
                if fields.equals("decision", "declined") { tally([unit], decidedMonth) { $0.referralsDeclined += 1 } }
            }
        default:
            break
        }
    }

    /// A 64-bit key per patient: unique in practice, and the identifier is not kept.
    private static func key(_ patient: String?) -> Int { (patient ?? "").hashValue }
}
