// The rules of ``CollectionRules`` in words, each with the rule code a refusal names, so a
// person reading `rehabsync schema` can match an error to its rule. Kept beside the checks:
// a new rule is described where it is written.

extension CollectionRules {
    /// The rules beyond field kinds that a record of `collection` must keep.
    static func described(_ collection: CollectionName) -> [SchemaReference.Rule] {
        let fields = CollectionSchema.of(collection).fields
        var rules: [SchemaReference.Rule] = []
        let dates = pastDates.filter { fields[$0] != nil }
        if !dates.isEmpty {
            rules.append(.init("date.future", dates.joined(separator: ", ") + " cannot be after today"))
        }
        let times = pastTimes.filter { fields[$0] != nil }
        if !times.isEmpty {
            rules.append(.init("dateTime.future", times.joined(separator: ", ") + " cannot fall on a day after today (the Swedish date of the instant)"))
        }
        switch collection {
        case .patients:
            rules.append(.init("identifier.type", "identifierType is the kind of identifier patient holds"))
        case .carePlans:
            rules.append(.init("carePlan.revisedBeforeEstablished", "lastRevised is not before established"))
        case .planGoals:
            break
        case .plannedInterventions:
            rules.append(.init("kva.unknown", "kvaCode is in the KVÅ list in force (Config/kva/, the newest version)"))
            rules.append(.init("intervention.performedDate", "a completed intervention has performedDate"))
        case .assessments:
            rules.append(.init("questionnaire.unknown", "questionnaire and questionnaireVersion name a loaded definition (Config/questionnaires/)"))
            rules.append(.init("answers.item", "answers only items of that definition, each on the item's scale (answers.scale)"))
            rules.append(.init("answers.required", "a completed assessment answers every required item"))
            rules.append(.init("assessment.completed", "a completed assessment is immutable: amend it with a new assessment whose amends names it"))
        case .handovers:
            rules.append(.init("handover.sameUnit", "receivingUnit is another unit than sendingUnit"))
            rules.append(.init("handover.backward", "status only moves forward: " + HandoverState.allCases.map(\.rawValue).joined(separator: " → ")
                    + "; the sending unit initiates, only the receiving unit confirms"))
        case .referrals:
            rules.append(.init("referral.decidedBeforeReceived", "decided is not before received"))
            rules.append(.init("referral.contactBeforeReceived", "firstContact is not before received"))
            rules.append(.init("referral.reason", "a declined referral states decisionReason"))
            rules.append(.init("referral.inclusion", "an accepted referral meets every inclusion criterion (each true)"))
            rules.append(.init("referral.exclusion", "an accepted referral meets no exclusion criterion (each false)"))
        }
        return rules
    }
}
