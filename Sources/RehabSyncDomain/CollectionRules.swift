import RehabSyncCore

/// The rules of a collection that involve more than one field or the record's history:
/// handover states only move forward, a completed assessment is immutable, a referral's
/// decision agrees with its criteria, dates come in order.
///
/// A rule is only checked when the write touches a field it involves, so that records
/// accepted before a rule existed are not refused for an unrelated edit.
struct CollectionRules {
    let collection: CollectionName
    /// The collection's schema, whose positions ``changed`` holds.
    let schema: CollectionSchema
    let before: RecordState?
    let after: RecordState
    /// The fields the write touches.
    let changed: FieldSet
    let reference: ReferenceData
    let refuse: Refusal

    func check() throws(DomainError) {
        try checkDatesNotInFuture()
        switch collection {
        case .patients: try checkPatient()
        case .carePlans:
            try checkOrder("established", "lastRevised", involving: Involved.carePlanDates, rule: "carePlan.revisedBeforeEstablished")
        case .plannedInterventions:
            if touched(Involved.interventionCompletion), values["status"]?.stringValue == "completed", values["performedDate"] == nil {
                throw refuse("performedDate", "intervention.performedDate", "a completed intervention needs the date it was performed")
            }
        case .assessments: try checkAssessment()
        case .handovers: try checkHandover()
        case .referrals: try checkReferral()
        case .planGoals: break
        }
    }

    /// The values every replica shows; a view of ``after``, so not another stored copy
    /// to retain and release for every record.
    private var values: ProvisionalValues { after.provisional }

    private func touched(_ fields: FieldSet) -> Bool {
        !changed.isDisjoint(with: fields)
    }

    /// The fields each rule involves, found by name once rather than for every record.
    private enum Involved {
        static let carePlanDates = CollectionSchema.carePlans.positions("established", "lastRevised")
        static let interventionCompletion = CollectionSchema.plannedInterventions.positions("status", "performedDate")
        static let patientIdentifier = CollectionSchema.patients.positions("patient", "identifierType")
        static let assessmentAnswers = CollectionSchema.assessments.positions("answers", "questionnaire", "questionnaireVersion", "status")
        static let handoverUnits = CollectionSchema.handovers.positions("sendingUnit", "receivingUnit")
        static let handoverStatus = CollectionSchema.handovers.positions("status")
        static let referralDecided = CollectionSchema.referrals.positions("received", "decided")
        static let referralContact = CollectionSchema.referrals.positions("received", "firstContact")
        static let referralDecision = CollectionSchema.referrals.positions("decision", "decisionReason", "inclusionCriteria", "exclusionCriteria")
    }

    private func date(_ name: String) -> CivilDate? {
        values[name]?.stringValue.flatMap { CivilDate(iso: $0) }
    }

    /// The dates that record what has happened, in any collection that has them.
    static let pastDates = ["established", "lastRevised", "performedDate", "received", "decided", "firstContact"]
    /// The instants that record what has happened, judged on their Swedish date.
    static let pastTimes = ["authored"]

    /// Clinical dates and times record what has happened; one after today is a typo.
    private func checkDatesNotInFuture() throws(DomainError) {
        for position in schema.pastDates where changed.contains(position) {
            let name = schema.names[position]
            if let value = date(name), value > reference.today {
                throw refuse(name, "date.future", "this date cannot be after today")
            }
        }
        // Clinical times follow the same rule, on the Swedish date of the instant, so that
        // a time and a date written at the same moment are judged alike.
        for position in schema.pastTimes where changed.contains(position) {
            let name = schema.names[position]
            if let text = values[name]?.stringValue, let instant = ISODateTime.unixMilliseconds(text),
                CivilDate.swedishToday(unixMilliseconds: instant) > reference.today {
                throw refuse(name, "dateTime.future", "this time cannot be on a day after today")
            }
        }
    }

    private func checkOrder(_ earlier: String, _ later: String, involving fields: FieldSet, rule: String) throws(DomainError) {
        guard touched(fields), let first = date(earlier), let second = date(later), second < first else { return }
        throw refuse(later, rule, "cannot be before \(earlier)")
    }

    private func checkPatient() throws(DomainError) {
        guard touched(Involved.patientIdentifier), let text = values["patient"]?.stringValue,
            let declared = values["identifierType"]?.stringValue
        else { return }
        // The identifier itself was checked by kind; only an accepted one reaches here
        // with a meaningful kind, and a refused one has its own error already.
        guard let parsed = try? reference.patientIdentifier(text) else { return }
        let detected = parsed.kind.rawValue
        guard detected == declared else {
            throw refuse("identifierType", "identifier.type", "the identifier is a \(detected), not a \(declared)")
        }
    }

    private func checkAssessment() throws(DomainError) {
        // A completed assessment is a signed clinical record: only voiding may follow, and
        // the resolution of a conflict that a concurrent edit left (keeping one of the
        // values it holds). Completed by any of its status values: a concurrent edit whose
        // clock happens to read later must not un-complete it.
        let completed = before?["status"]?.siblings.contains { $0.value == .string("completed") } ?? false
        if completed {
            for position in changed where schema.names[position] != "voided" {
                let field = schema.names[position]
                let held = before?[field]?.siblings ?? []
                let chosen = after[field]?.siblings ?? []
                let resolves = held.count > 1 && chosen.count == 1 && held.contains { $0.value == chosen[0].value }
                if !resolves {
                    throw refuse(field, "assessment.completed", "a completed assessment is immutable; record an amendment as a new assessment that refers to it with 'amends'")
                }
            }
            return
        }
        guard touched(Involved.assessmentAnswers) else { return }
        guard let id = values["questionnaire"]?.stringValue, let version = values["questionnaireVersion"]?.stringValue else { return }
        guard let definition = reference.questionnaires["\(id)@\(version)"] else {
            throw refuse("questionnaireVersion", "questionnaire.unknown",
                         "questionnaire \(id) version \(version) is not loaded here; load the same questionnaire definitions on the server and every device")
        }
        // The dictionary found it by canonical equivalence; the record must name it in the
        // definition's own bytes.
        guard definition.id.hasSameBytes(as: id), definition.version.hasSameBytes(as: version) else {
            throw RecordValidator.notNFC(definition.id.hasSameBytes(as: id) ? "questionnaireVersion" : "questionnaire", refuse)
        }
        guard !definition.items.isEmpty else {
            throw refuse("questionnaire", "questionnaire.empty", "the loaded definition has no items; load the official form before recording assessments")
        }
        let answers = values["answers"]?.objectValue ?? [:]
        for (item, answer) in answers.sorted(by: { $0.key < $1.key }) {
            guard let definitionItem = definition.items.first(where: { $0.id == item }) else {
                throw refuse("answers.\(item)", "answers.item", "the questionnaire has no item of this id")
            }
            guard let value = answer.integerValue, definitionItem.scale.contains(value) else {
                throw refuse("answers.\(item)", "answers.scale",
                             "answers to this item are integers from \(definitionItem.scale.lowerBound) to \(definitionItem.scale.upperBound)")
            }
        }
        if values["status"]?.stringValue == "completed" {
            for item in definition.items where item.required && answers[item.id] == nil {
                throw refuse("answers.\(item.id)", "answers.required", "a completed assessment answers every required item")
            }
        }
    }

    private func checkHandover() throws(DomainError) {
        if touched(Involved.handoverUnits), values["sendingUnit"] == values["receivingUnit"] {
            throw refuse("receivingUnit", "handover.sameUnit", "a handover goes to another unit")
        }
        guard touched(Involved.handoverStatus) else { return }
        // States only move forward: every status the write introduces must be at least the
        // state already reached. Equal is fine (two units confirming the same step agree).
        guard let reached = before.flatMap(HandoverState.of) else { return }
        let known = before?["status"]
        for sibling in after["status"]?.siblings ?? [] where known?.sibling(withDot: sibling.dot) == nil {
            if let state = sibling.value.stringValue.flatMap(HandoverState.init(rawValue:)), state < reached {
                throw refuse("status", "handover.backward", "a handover in state \(reached.rawValue) cannot go back to \(state.rawValue)")
            }
        }
    }

    private func checkReferral() throws(DomainError) {
        try checkOrder("received", "decided", involving: Involved.referralDecided, rule: "referral.decidedBeforeReceived")
        try checkOrder("received", "firstContact", involving: Involved.referralContact, rule: "referral.contactBeforeReceived")
        guard touched(Involved.referralDecision) else { return }
        switch values["decision"]?.stringValue {
        case "declined":
            if values["decisionReason"] == nil {
                throw refuse("decisionReason", "referral.reason", "a declined referral states the reason")
            }
        case "accepted":
            let inclusion = values["inclusionCriteria"]?.objectValue ?? [:]
            let exclusion = values["exclusionCriteria"]?.objectValue ?? [:]
            if let unmet = inclusion.filter({ $0.value != .bool(true) }).keys.sorted().first {
                throw refuse("inclusionCriteria.\(unmet)", "referral.inclusion", "an accepted referral meets every inclusion criterion")
            }
            if let met = exclusion.filter({ $0.value == .bool(true) }).keys.sorted().first {
                throw refuse("exclusionCriteria.\(met)", "referral.exclusion", "an accepted referral meets no exclusion criterion")
            }
        default:
            break
        }
    }
}
