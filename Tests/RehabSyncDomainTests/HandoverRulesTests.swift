import RehabSyncCore
import RehabSyncDomain
import Testing

struct HandoverRulesTests {
    typealias F = DomainFixtures

    static let handover: [String: JSONValue] = [
        "patient": .string(F.patient), "sendingUnit": .string(F.unitA), "receivingUnit": .string(F.unitB),
        "carePlan": .string("plan-1"), "summary": .string("Behov, pågående åtgärder och uppföljning enligt SBAR."),
        "ongoingInterventions": .array([.string("int-1"), .string("int-2")]), "status": .string("initiated"),
    ]

    @Test func theSenderStaysResponsibleUntilTheReceiverConfirmsContact() throws {
        let initiated = try F.state([Self.handover])
        #expect(HandoverState.of(initiated) == .initiated)
        #expect(HandoverState.responsibleUnit(of: initiated) == F.unitA)
        let received = try F.state([["status": .string("received")]], replica: F.otherReplica, base: initiated)
        #expect(HandoverState.of(received) == .received)
        #expect(HandoverState.responsibleUnit(of: received) == F.unitA)
        let confirmed = try F.state([["status": .string("contactConfirmed")]], replica: F.otherReplica, startingAt: 2, base: received)
        #expect(HandoverState.of(confirmed) == .contactConfirmed)
        #expect(HandoverState.responsibleUnit(of: confirmed) == F.unitB)
    }

    @Test func statesMoveForward() throws {
        let received = try F.state([Self.handover, ["status": .string("received")]])
        #expect(try F.refusal("handovers", editing: received, with: ["status": .string("contactConfirmed")]) == nil)
        let error = try F.refusal("handovers", editing: received, with: ["status": .string("initiated")])
        #expect(error?.field == "status")
        #expect(error?.rule == "handover.backward")
    }

    @Test func twoReplicasConfirmingTheSameStateConcurrentlyAgree() throws {
        let initiated = try F.state([Self.handover])
        let onA = try F.state([["status": .string("received")]], replica: F.replica, startingAt: 2, base: initiated)
        let onB = try F.state([["status": .string("received")]], replica: F.otherReplica, base: initiated)
        let joined = onA.joined(with: onB)
        #expect(HandoverState.of(joined) == .received)
        #expect(HandoverState.of(onB.joined(with: onA)) == .received)
        try F.validator.validate(collection: "handovers", recordID: "h1", before: onA, after: joined)
    }

    @Test func aConcurrentBackwardWriteIsRefused() throws {
        let initiated = try F.state([Self.handover])
        // A has moved on to contact confirmed; B, not having seen it, writes "received".
        let onA = try F.state([["status": .string("received")], ["status": .string("contactConfirmed")]],
                              replica: F.replica, startingAt: 2, base: initiated)
        let onB = try F.state([["status": .string("received")]], replica: F.otherReplica, base: initiated)
        #expect(throws: DomainError.self) {
            try F.validator.validate(collection: "handovers", recordID: "h1", before: onA, after: onA.joined(with: onB))
        }
        // Whatever order states meet in, the state reached stays the most advanced one.
        #expect(HandoverState.of(onA.joined(with: onB)) == .contactConfirmed)
    }

    @Test func aHandoverGoesToAnotherUnit() throws {
        let error = try F.refusal("handovers", Self.handover.with(["receivingUnit": .string(F.unitA)]))
        #expect(error?.rule == "handover.sameUnit")
    }

    @Test func aHandoverIsVisibleToBothUnits() throws {
        let state = try F.state([Self.handover])
        #expect(DomainPlacement.careUnits(collection: "handovers", state: state) == [F.unitA, F.unitB])
        #expect(DomainPlacement.patient(of: state) == F.patient)
    }
}

struct ReferralRulesTests {
    typealias F = DomainFixtures

    static let referral: [String: JSONValue] = [
        "patient": .string(F.patient), "referrer": .string(F.nurse), "referringUnit": .string(F.unitA),
        "receivingUnit": .string(F.unitB),
        "inclusionCriteria": .object([
            "cancerDiseaseOrTreatment": .bool(true), "assessedNeedForInterdisciplinaryTeam": .bool(true),
            "wantsInterdisciplinaryRehabilitation": .bool(true),
        ]),
        "exclusionCriteria": .object([
            "conditionPreventingActiveParticipation": .bool(false), "noConsentToCollaboration": .bool(false),
            "cannotOrWillNotUseDigitalTools": .bool(false),
        ]),
        "decision": .string("pending"), "received": .string("2026-11-02"),
    ]

    @Test func acceptsAPendingAndAnAcceptedReferral() throws {
        #expect(try F.refusal("referrals", Self.referral) == nil)
        let accepted = Self.referral.with(["decision": .string("accepted"), "decided": .string("2026-11-05"), "firstContact": .string("2026-11-12")])
        #expect(try F.refusal("referrals", accepted) == nil)
    }

    @Test func everyCriterionNeedsAnExplicitAnswer() throws {
        let missing = Self.referral.with(["exclusionCriteria": .object([
            "conditionPreventingActiveParticipation": .bool(false), "noConsentToCollaboration": .bool(false),
        ])])
        let error = try F.refusal("referrals", missing)
        #expect(error?.field == "exclusionCriteria.cannotOrWillNotUseDigitalTools")
        #expect(error?.rule == "required")
    }

    @Test func anAcceptedReferralMeetsTheInclusionAndNoExclusionCriteria() throws {
        var exclusion = Self.referral["exclusionCriteria"]?.objectValue ?? [:]
        exclusion["cannotOrWillNotUseDigitalTools"] = .bool(true)
        let error = try F.refusal("referrals", Self.referral.with(["decision": .string("accepted"), "exclusionCriteria": .object(exclusion)]))
        #expect(error?.field == "exclusionCriteria.cannotOrWillNotUseDigitalTools")
        #expect(error?.rule == "referral.exclusion")
    }

    @Test func aDeclinedReferralStatesItsReason() throws {
        #expect(try F.refusal("referrals", Self.referral.with(["decision": .string("declined")]))?.rule == "referral.reason")
        let declined = Self.referral.with(["decision": .string("declined"), "decisionReason": .string("Önskar fysiska besök")])
        #expect(try F.refusal("referrals", declined) == nil)
    }

    @Test func datesOfAReferralComeInOrder() throws {
        let error = try F.refusal("referrals", Self.referral.with(["decided": .string("2026-11-01")]))
        #expect(error?.field == "decided")
        #expect(error?.rule == "referral.decidedBeforeReceived")
    }

    @Test func aReferralIsVisibleToTheReferringAndReceivingUnits() throws {
        let state = try F.state([Self.referral])
        #expect(DomainPlacement.careUnits(collection: "referrals", state: state) == [F.unitA, F.unitB])
    }
}

struct PatientRulesTests {
    typealias F = DomainFixtures

    static let enrolment: [String: JSONValue] = [
        "patient": .string(F.patient), "identifierType": .string("personnummer"), "careUnits": F.units(F.unitA),
        "digitalCareConsent": .bool(true), "status": .string("active"),
    ]

    @Test func acceptsAnEnrolmentWithPersonnummerSamordningsnummerOrReserveNumber() throws {
        #expect(try F.refusal("patients", Self.enrolment) == nil)
        #expect(try F.refusal("patients", Self.enrolment.with([
            "patient": .string("197010632391"), "identifierType": .string("samordningsnummer"),
        ])) == nil)
        #expect(try F.refusal("patients", Self.enrolment.with([
            "patient": .string("19121212R001"), "identifierType": .string("reserve"),
        ])) == nil)
    }

    @Test func mistypedPersonnummerAreRefusedWithTheConfiguredFormats() throws {
        let checkDigit = try F.refusal("patients", Self.enrolment.with(["patient": .string("1212121213"), "identifierType": .string("reserve")]))
        #expect(checkDigit?.field == "patient")
        #expect(checkDigit?.rule == "personnummer.checksum")
        let letters = try F.refusal("patients", Self.enrolment.with(["patient": .string("19121212ABCD"), "identifierType": .string("reserve")]))
        #expect(letters?.field == "patient")
        #expect(letters?.rule == "reservnummer.format")
        #expect(letters?.message.contains("regional-reserve-example ([0-9]{8}R[0-9]{3})") == true)
        let separated = try F.refusal("patients", Self.enrolment.with(["patient": .string("19121212-1213")]))
        #expect(separated?.rule == "personnummer.checksum")
    }

    @Test func aTypedPersonnummerOrReserveNumberIsStoredInItsCanonicalForm() throws {
        let normalized = F.validator.normalize(collection: "patients", values: ["patient": .string("19121212-1212")])
        #expect(normalized["patient"] == .string("191212121212"))
        let reserve = F.validator.normalize(collection: "patients", values: ["patient": .string("19121212r001")])
        #expect(reserve["patient"] == .string("19121212R001"))
        // Stored forms only: a push that carries the typed form is refused, not rewritten.
        #expect(try F.refusal("patients", Self.enrolment.with(["patient": .string("19121212-1212")]))?.rule == "identifier.canonical")
    }

    @Test func theIdentifierTypeMustMatchTheIdentifier() throws {
        let error = try F.refusal("patients", Self.enrolment.with(["identifierType": .string("samordningsnummer")]))
        #expect(error?.field == "identifierType")
        #expect(error?.rule == "identifier.type")
    }

    @Test func consentToDigitalCareIsAnExplicitAnswer() throws {
        #expect(try F.refusal("patients", Self.enrolment.with(["digitalCareConsent": nil]))?.rule == "required")
        #expect(try F.refusal("patients", Self.enrolment.with(["digitalCareConsent": .string("yes")]))?.rule == "type")
    }

    @Test func noNameIsRequired() {
        #expect(!CollectionSchema.of(.patients).fields.keys.contains { $0.lowercased().contains("name") })
    }
}

struct ReferenceDataTests {
    @Test func theShippedKVAListLoadsWithEmptyTitlesWhereUnconfirmed() throws {
        let list = try KVACodeList(json: Array(#"{"version":"2026","codes":[{"code":"AU124","title":"","level":"avancerade"}]}"#.utf8), name: "t")
        #expect(list.contains("AU124"))
        #expect(list.entries.first?.title == "")
    }

    @Test(arguments: [
        #"{"codes":[]}"#,
        #"{"version":"1","codes":[{"code":"AW0200"}]}"#,
        #"{"version":"1","codes":[{"code":"AW020"},{"code":"AW020"}]}"#,
        #"{"version":"1","codes":[{"code":"AW020","level":"medium"}]}"#,
    ])
    func refusesMalformedKVALists(json: String) {
        #expect(throws: ReferenceDataError.self) { try KVACodeList(json: Array(json.utf8), name: "t") }
    }

    @Test(arguments: [
        #"{"id":"f","version":"1","items":[{"id":"a"}]}"#,
        #"{"id":"f","version":"1","scale":{"min":5,"max":1},"items":[]}"#,
        #"{"id":"f","version":"1","scale":{"min":0,"max":4},"items":[{"id":"a"},{"id":"a"}]}"#,
        #"{"id":"f","items":[]}"#,
    ])
    func refusesMalformedQuestionnaireDefinitions(json: String) {
        #expect(throws: ReferenceDataError.self) { try QuestionnaireDefinition(json: Array(json.utf8), name: "t") }
    }

    @Test func picksTheNewestKVAList() throws {
        let old = try KVACodeList(json: Array(#"{"version":"2025","codes":[]}"#.utf8), name: "a")
        let new = try KVACodeList(json: Array(#"{"version":"2026","codes":[]}"#.utf8), name: "b")
        #expect(ReferenceData.newest([new, old])?.version == "2026")
    }
}

/// A replica stores a pulled record from its canonical bytes, placed by a state holding
/// only ``DomainPlacement/fieldsRead``; that must place it as the whole state does.
struct PartialPlacementTests {
    typealias F = DomainFixtures

    @Test("A state holding only the fields placement reads is placed as the whole state, in every collection's way")
    func thePlacementFieldsAloneGiveTheSamePlacement() throws {
        let cases: [(String, RecordState)] = [
            ("carePlans", try F.state([F.carePlan])),
            ("handovers", try F.state([HandoverRulesTests.handover])),
            ("referrals", try F.state([ReferralRulesTests.referral])),
            // Concurrent writes to a unit field: placement follows the provisional value.
            ("handovers", try F.state([HandoverRulesTests.handover]).joined(with: try F.state(
                [HandoverRulesTests.handover.with(["receivingUnit": .string("SE2321000016-C003")])], replica: F.otherReplica))),
        ]
        for (collection, state) in cases {
            var reader = JSONParser(state.canonicalBytes)
            let checked = reader.readCanonicalState(keeping: DomainPlacement.fieldsRead)
            let canonical = try #require(checked)
            #expect(canonical.partial.fields.count < state.fields.count, "the partial state holds fewer fields")
            #expect(DomainPlacement.careUnits(collection: collection, state: canonical.partial)
                == DomainPlacement.careUnits(collection: collection, state: state), "\(collection)")
            #expect(DomainPlacement.patient(of: canonical.partial) == DomainPlacement.patient(of: state), "\(collection)")
        }
    }
}
