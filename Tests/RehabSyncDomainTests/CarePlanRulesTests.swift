import RehabSyncCore
import RehabSyncDomain
import Testing

struct CarePlanRulesTests {
    typealias F = DomainFixtures

    @Test func acceptsANewCarePlanWithTheRequiredFields() throws {
        #expect(try F.refusal("carePlans", F.carePlan) == nil)
        let full = F.carePlan.with([
            "summary": .string("Sammanfattande bedömning, mål och planerade åtgärder."), "contactNurse": .string(F.nurse),
            "needLevel": .string("särskilda"), "established": .string("2026-10-01"), "lastRevised": .string("2026-11-02"),
        ])
        #expect(try F.refusal("carePlans", full) == nil)
    }

    @Test(arguments: ["patient", "careUnits", "title", "status"])
    func refusesANewCarePlanWithoutARequiredField(field: String) throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with([field: nil])))
        #expect(error.collection == "carePlans")
        #expect(error.recordID == "rec-1")
        #expect(error.field == field)
        #expect(error.rule == "required")
    }

    @Test func refusesAFieldTheSchemaDoesNotHave() throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["titel": .string("typo")])))
        #expect(error.field == "titel")
        #expect(error.rule == "field.unknown")
    }

    @Test("Of several unknown members of an object field, the refusal names the first in name order, whatever the dictionary's order")
    func namesTheFirstUnknownMemberInNameOrder() throws {
        let members: [String: JSONValue] = ["reason": .string("Fel patient"), "by": .string(F.nurse),
                                            "zulu": .bool(true), "mike": .bool(true), "alpha": .bool(true), "kilo": .bool(true)]
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["voided": .object(members)])))
        #expect(error.field == "voided.alpha")
        #expect(error.rule == "field.unknown")
    }

    @Test func refusesANeedLevelOutsideTheFourLevels() throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["needLevel": .string("medium")])))
        #expect(error.field == "needLevel")
        #expect(error.rule == "enum")
        #expect(error.message.contains("mycket avancerade"))
    }

    @Test func refusesARevisionDateBeforeTheEstablishedDate() throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with([
            "established": .string("2026-10-01"), "lastRevised": .string("2026-09-30"),
        ])))
        #expect(error.field == "lastRevised")
        #expect(error.rule == "carePlan.revisedBeforeEstablished")
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "26-10-01", "2026-10-1"])
    func refusesDatesThatAreNotRealOrNotISO(text: String) throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["established": .string(text)])))
        #expect(error.field == "established")
        #expect(error.rule == "date")
    }

    @Test func refusesAnEstablishedDateAfterToday() throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["established": .string("2026-11-24")])))
        #expect(error.rule == "date.future")
    }

    @Test func refusesAPatientIdentifierNotInItsStoredFormAndNormalizesTypedOnes() throws {
        let typed = F.carePlan.with(["patient": .string("19121212-1212")])
        let error = try #require(try F.refusal("carePlans", typed))
        #expect(error.field == "patient")
        let normalized = F.validator.normalize(collection: "carePlans", values: typed)
        #expect(normalized["patient"] == .string("191212121212"))
        #expect(try F.refusal("carePlans", normalized) == nil)
    }

    @Test func refusesAPatientIdentifierWithAWrongCheckDigit() throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["patient": .string("191212121213")])))
        #expect(error.field == "patient")
        #expect(error.rule == "personnummer.checksum")
        #expect(!error.message.contains("1212"))
    }

    @Test(arguments: ["se2321000016-A001", "SE2321000016", "SE2321000016-", "SE 2321000016-A001"])
    func refusesMalformedHSAIDsInCareUnits(text: String) throws {
        let error = try #require(try F.refusal("carePlans", F.carePlan.with(["careUnits": .array([.string(text)])])))
        #expect(error.field == "careUnits")
        #expect(error.rule == "hsaid.format")
    }

    @Test func refusesAnEmptyOrRepeatedCareUnitList() throws {
        #expect(try F.refusal("carePlans", F.carePlan.with(["careUnits": .array([])]))?.rule == "type")
        #expect(try F.refusal("carePlans", F.carePlan.with(["careUnits": F.units(F.unitA, F.unitA)]))?.rule == "duplicate")
    }

    @Test func refusesClearingARequiredFieldButAllowsClearingAnOptionalOne() throws {
        let base = try F.state([F.carePlan.with(["summary": .string("text")])])
        #expect(try F.refusal("carePlans", editing: base, with: ["title": .null])?.rule == "required")
        #expect(try F.refusal("carePlans", editing: base, with: ["summary": .null]) == nil)
    }

    @Test func acceptsVoidingWithReasonAndAuthor() throws {
        let base = try F.state([F.carePlan])
        let voided: JSONValue = .object(["reason": .string("Fel patient"), "by": .string(F.nurse)])
        #expect(try F.refusal("carePlans", editing: base, with: ["voided": voided]) == nil)
        let error = try F.refusal("carePlans", editing: base, with: ["voided": .object(["reason": .string("Fel patient")])])
        #expect(error?.field == "voided.by")
        #expect(error?.rule == "required")
    }

    @Test func anUnknownCollectionOrABadRecordIdIsRefused() throws {
        #expect(try F.refusal("plans", F.carePlan)?.rule == "collection.unknown")
        #expect(try F.refusal("carePlans", F.carePlan, id: "has space")?.rule == "record.id")
    }

    @Test func storedValuesAreNotRecheckedWhenAnotherFieldChanges() throws {
        // A stored value that today's rules would refuse (as after a KVÅ list update) does
        // not block an unrelated edit.
        let base = try F.state([F.carePlan.with(["contactNurse": .string("legacy-id")])])
        #expect(try F.refusal("carePlans", editing: base, with: ["title": .string("Ny titel")]) == nil)
    }
}

struct PlanChildRulesTests {
    typealias F = DomainFixtures

    static let intervention: [String: JSONValue] = [
        "patient": .string(F.patient), "careUnits": F.units(F.unitA), "carePlan": .string("plan-1"),
        "kvaCode": .string("AW020"), "profession": .string("physiotherapist"), "format": .string("digitalProgramme"),
        "status": .string("planned"),
    ]

    @Test func acceptsAGoalAndAnIntervention() throws {
        let goal: [String: JSONValue] = [
            "patient": .string(F.patient), "careUnits": F.units(F.unitA), "carePlan": .string("plan-1"),
            "text": .string("Gå 2 km utan vila"), "targetDate": .string("2027-03-01"), "status": .string("open"),
        ]
        #expect(try F.refusal("planGoals", goal) == nil)
        #expect(try F.refusal("plannedInterventions", Self.intervention) == nil)
    }

    @Test func refusesAGoalWithoutTextOrWithAnUnknownStatus() throws {
        let goal: [String: JSONValue] = [
            "patient": .string(F.patient), "careUnits": F.units(F.unitA), "carePlan": .string("plan-1"),
            "text": .string("Gå 2 km utan vila"), "status": .string("open"),
        ]
        let missing = try F.refusal("planGoals", goal.with(["text": nil]))
        #expect(missing?.collection == "planGoals")
        #expect(missing?.field == "text")
        #expect(missing?.rule == "required")
        #expect(try F.refusal("planGoals", goal.with(["status": .string("done")]))?.rule == "enum")
        #expect(try F.refusal("planGoals", goal.with(["carePlan": .string("not an id")]))?.rule == "reference")
    }

    @Test func refusesAKVACodeOfTheWrongForm() throws {
        let error = try F.refusal("plannedInterventions", Self.intervention.with(["kvaCode": .string("aw020")]))
        #expect(error?.field == "kvaCode")
        #expect(error?.rule == "kva.format")
    }

    @Test func refusesAKVACodeMissingFromTheLoadedList() throws {
        let error = try F.refusal("plannedInterventions", Self.intervention.with(["kvaCode": .string("XV019")]))
        #expect(error?.rule == "kva.unknown")
        #expect(error?.message.contains("test-1") == true)
    }

    @Test func aNewerListDoesNotInvalidateStoredCodes() throws {
        let base = try F.state([Self.intervention.with(["kvaCode": .string("XV019")])])
        #expect(try F.refusal("plannedInterventions", editing: base, with: ["status": .string("ongoing")]) == nil)
    }

    @Test func refusesAFormatOutsideTheDigitalFormats() throws {
        #expect(try F.refusal("plannedInterventions", Self.intervention.with(["format": .string("telephone")]))?.rule == "enum")
    }

    @Test func aCompletedInterventionNeedsItsPerformedDate() throws {
        let error = try F.refusal("plannedInterventions", Self.intervention.with(["status": .string("completed")]))
        #expect(error?.field == "performedDate")
        #expect(error?.rule == "intervention.performedDate")
        let done = Self.intervention.with(["status": .string("completed"), "performedDate": .string("2026-11-20")])
        #expect(try F.refusal("plannedInterventions", done) == nil)
    }
}
