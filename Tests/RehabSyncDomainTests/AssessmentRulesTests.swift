import RehabSyncCore
import RehabSyncDomain
import Testing

struct AssessmentRulesTests {
    typealias F = DomainFixtures

    static let assessment: [String: JSONValue] = [
        "patient": .string(F.patient), "careUnits": F.units(F.unitA), "questionnaire": .string("testform"),
        "questionnaireVersion": .string("1"), "answers": .object(["fatigue": .integer(3), "sleep": .integer(1)]),
        "timepoint": .string("treatmentStart"), "source": .string("patient"), "authored": .string("2026-11-20T09:15:00+01:00"),
        "status": .string("inProgress"),
    ]

    @Test func acceptsAnAssessmentInProgressAndACompletedOne() throws {
        #expect(try F.refusal("assessments", Self.assessment) == nil)
        #expect(try F.refusal("assessments", Self.assessment.with(["status": .string("completed")])) == nil)
    }

    @Test func anAssessmentAuthoredOnADayAfterTodayIsRefused() throws {
        // Today is 2026-11-23 in the fixtures.
        let tomorrow = try F.refusal("assessments", Self.assessment.with(["authored": .string("2026-11-24T10:00:00+01:00")]))
        #expect(tomorrow?.field == "authored")
        #expect(tomorrow?.rule == "dateTime.future")
        let nextYear = try F.refusal("assessments", Self.assessment.with(["authored": .string("2027-01-01T00:00:00.5Z")]))
        #expect(nextYear?.rule == "dateTime.future")
        #expect(try F.refusal("assessments", Self.assessment.with(["authored": .string("2026-11-23T10:00:00Z")])) == nil)
        // The instant counts, not the digits: 01:30 on the 24th at UTC+5 is still the 23rd in Sweden.
        #expect(try F.refusal("assessments", Self.assessment.with(["authored": .string("2026-11-24T01:30:00+05:00")])) == nil)
    }

    @Test func vocabularyInAnotherNormalizationFormIsRefused() throws {
        // "särskilda" with a combining diaeresis: canonically equivalent, other bytes.
        let decomposed = "sa\u{0308}rskilda"
        #expect(decomposed == "särskilda")
        let error = try F.refusal("carePlans", F.carePlan.with(["needLevel": .string(decomposed)]))
        #expect(error?.field == "needLevel")
        #expect(error?.rule == "text.nfc")
        #expect(try F.refusal("carePlans", F.carePlan.with(["needLevel": .string("särskilda")])) == nil)
    }

    @Test func refusesAnAnswerOutsideTheItemsScale() throws {
        let error = try F.refusal("assessments", Self.assessment.with(["answers": .object(["fatigue": .integer(5), "sleep": .integer(0)])]))
        #expect(error?.field == "answers.fatigue")
        #expect(error?.rule == "answers.scale")
        // An item with its own scale accepts values the form's scale would not.
        #expect(try F.refusal("assessments", Self.assessment.with(["answers": .object(["fatigue": .integer(0), "sleep": .integer(0), "worry": .integer(9)])])) == nil)
    }

    @Test func refusesAnAnswerToAnItemTheFormDoesNotHave() throws {
        let error = try F.refusal("assessments", Self.assessment.with(["answers": .object(["pain": .integer(1)])]))
        #expect(error?.field == "answers.pain")
        #expect(error?.rule == "answers.item")
    }

    @Test func aCompletedAssessmentAnswersEveryRequiredItem() throws {
        let error = try F.refusal("assessments", Self.assessment.with([
            "status": .string("completed"), "answers": .object(["fatigue": .integer(1)]),
        ]))
        #expect(error?.field == "answers.sleep")
        #expect(error?.rule == "answers.required")
    }

    @Test func refusesAnUnknownQuestionnaireVersion() throws {
        let error = try F.refusal("assessments", Self.assessment.with(["questionnaireVersion": .string("9")]))
        #expect(error?.rule == "questionnaire.unknown")
    }

    @Test func refusesARecordedAssessmentAgainstADefinitionWithoutItems() throws {
        let empty = try QuestionnaireDefinition(json: Array(#"{"id":"halsoskattning","version":"2","items":[]}"#.utf8), name: "placeholder")
        let validator = RecordValidator(reference: ReferenceData(kvaList: nil, questionnaires: [empty], today: F.today))
        let state = try F.state([Self.assessment.with(["questionnaire": .string("halsoskattning"), "questionnaireVersion": .string("2")])])
        #expect(throws: DomainError.self) {
            try validator.validate(collection: "assessments", recordID: "a1", before: nil, after: state)
        }
    }

    @Test(arguments: ["2026-11-20", "2026-11-20T25:00:00Z", "2026-11-20T09:15:00", "2026-11-20T09:15:00.Z"])
    func refusesAuthoredTimesThatAreNotInstants(text: String) throws {
        #expect(try F.refusal("assessments", Self.assessment.with(["authored": .string(text)]))?.rule == "dateTime")
    }

    @Test func aCompletedAssessmentIsImmutable() throws {
        let completed = try F.state([Self.assessment.with(["status": .string("completed")])])
        let error = try F.refusal("assessments", editing: completed, with: ["answers": .object(["fatigue": .integer(0), "sleep": .integer(0)])])
        #expect(error?.field == "answers")
        #expect(error?.rule == "assessment.completed")
        #expect(try F.refusal("assessments", editing: completed, with: ["status": .string("inProgress")])?.rule == "assessment.completed")
    }

    @Test func aCompletedAssessmentMayStillBeVoided() throws {
        let completed = try F.state([Self.assessment.with(["status": .string("completed")])])
        let voided: JSONValue = .object(["reason": .string("Registrerad på fel patient"), "by": .string(F.nurse)])
        #expect(try F.refusal("assessments", editing: completed, with: ["voided": voided]) == nil)
    }

    @Test func anAmendmentIsANewAssessmentReferringToTheCompletedOne() throws {
        let amendment = Self.assessment.with(["status": .string("completed"), "amends": .string("rec-0")])
        #expect(try F.refusal("assessments", amendment, id: "rec-2") == nil)
    }
}
