import RehabSyncCore
import RehabSyncDomain
import Testing

/// Reference data of the tests' own: a small KVÅ list and a questionnaire that is not the
/// official Hälsoskattning (whose items RCC owns).
enum DomainFixtures {
    static let today = CivilDate(year: 2026, month: 11, day: 23)!

    static let kvaList: KVACodeList = {
        let json = #"{"version":"test-1","codes":[{"code":"AW020","title":"Upprättande av rehabiliteringsplan","level":"särskilda"},{"code":"DV111","title":"","level":"grundläggande"}]}"#
        // Safe because the literal above is a valid list; a typo fails every test loudly.
        return try! KVACodeList(json: Array(json.utf8), name: "test")
    }()

    static let questionnaire: QuestionnaireDefinition = {
        let json = #"{"id":"testform","version":"1","scale":{"min":0,"max":4},"items":[{"id":"fatigue","required":true},{"id":"sleep","required":true},{"id":"worry","required":false,"scale":{"min":0,"max":10}}]}"#
        // Safe because the literal above is a valid definition.
        return try! QuestionnaireDefinition(json: Array(json.utf8), name: "test")
    }()

    /// The example format `Config/reserve-numbers.json` ships.
    static let reserveFormat: ReserveNumberFormat = {
        // Safe because the pattern is valid; a typo fails every test loudly.
        try! ReserveNumberFormat(name: "regional-reserve-example", pattern: "[0-9]{8}R[0-9]{3}")
    }()

    static let validator = RecordValidator(reference: ReferenceData(kvaList: kvaList, questionnaires: [questionnaire],
                                                                    reserveNumberFormats: [reserveFormat], today: today))

    static let unitA = "SE2321000016-A001"
    static let unitB = "SE2321000016-B002"
    static let nurse = "SE2321000016-N003"
    static let patient = "191212121212"

    static let replica = ReplicaID("00000000-0000-4000-8000-0000000000a1")!
    static let otherReplica = ReplicaID("00000000-0000-4000-8000-0000000000b2")!

    /// A record state after writes of `values`, one write per element, by `replica`.
    static func state(_ writes: [[String: JSONValue]], replica: ReplicaID = replica, startingAt counter: Int64 = 1,
                      base: RecordState = RecordState()) throws -> RecordState {
        var state = base
        var counter = counter
        for values in writes {
            state = try state.applying(values, stamp: stamp(replica, counter, author: nurse, wall: 1_790_000_000_000))
            counter += 1
        }
        return state
    }

    /// Validates a new record made of `values`, returning the error if refused.
    static func refusal(_ collection: String, _ values: [String: JSONValue], id: String = "rec-1") throws -> DomainError? {
        do {
            try validator.validate(collection: collection, recordID: id, before: nil, after: try state([values]))
            return nil
        } catch let error as DomainError {
            return error
        }
    }

    /// Validates an edit of `base` by `values`, returning the error if refused.
    static func refusal(_ collection: String, editing base: RecordState, with values: [String: JSONValue],
                        replica: ReplicaID = otherReplica) throws -> DomainError? {
        let after = try state([values], replica: replica, startingAt: 100, base: base)
        do {
            try validator.validate(collection: collection, recordID: "rec-1", before: base, after: after)
            return nil
        } catch {
            return error
        }
    }

    static let carePlan: [String: JSONValue] = [
        "patient": .string(patient), "careUnits": .array([.string(unitA)]), "title": .string("Rehabiliteringsplan"),
        "status": .string("draft"),
    ]

    static func units(_ units: String...) -> JSONValue { .array(units.map(JSONValue.string)) }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// These values with some replaced or removed (nil).
    func with(_ changes: [String: JSONValue?]) -> [String: JSONValue] {
        var result = self
        for (key, value) in changes { result[key] = value }
        return result
    }
}
