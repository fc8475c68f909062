import RehabSyncCore
import RehabSyncDomain
import Testing

/// A push batch validated record by record with one set of the patient identifiers found
/// valid so far, so that a patient's personnummer is parsed once per batch.
struct BatchValidationTests {
    typealias F = DomainFixtures

    private static func validate(_ values: [String: JSONValue], id: String, _ validPatients: inout Set<String>) throws -> DomainError? {
        do {
            try F.validator.validate(collection: "carePlans", recordID: id, before: nil, after: try F.state([values]),
                                     validPatients: &validPatients)
            return nil
        } catch let error as DomainError {
            return error
        }
    }

    @Test("records of a batch are judged as alone, and only identifiers found valid are remembered")
    func recordsOfABatchAreJudgedAsAloneAndOnlyIdentifiersFoundValidAreRemembered() throws {
        var validPatients: Set<String> = []
        #expect(try Self.validate(F.carePlan, id: "p1", &validPatients) == nil)
        #expect(validPatients == [F.patient])
        #expect(try Self.validate(F.carePlan, id: "p2", &validPatients) == nil)
        // A separator is refused as it is alone, though the same person was valid before.
        let written = try #require(try Self.validate(F.carePlan.with(["patient": .string("19121212-1212")]), id: "p3", &validPatients))
        #expect(written.rule == "identifier.canonical")
        let wrongCheckDigit = try #require(try Self.validate(F.carePlan.with(["patient": .string("191212121213")]), id: "p4", &validPatients))
        #expect(wrongCheckDigit.field == "patient")
        #expect(validPatients == [F.patient])
    }
}
