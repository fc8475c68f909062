/// What validation needs besides the record: the KVÅ list in force, the questionnaire
/// definitions, the region's reserve-number formats, and today's date (for identifiers and dates in the future).
///
/// Reloading newer reference data never invalidates stored records: validation checks
/// reference data only for values a write introduces, never for values already stored.
///
/// A class, not a struct, though it never changes: the validator hands it to the rules of
/// every record it checks, and each copy of a struct meant an atomic reference-count
/// increment and decrement per member on storage every worker thread shares.
public final class ReferenceData: Sendable {
    /// The KVÅ list new writes are checked against.
    public let kvaList: KVACodeList?
    /// Definitions by ``QuestionnaireDefinition/key``.
    public let questionnaires: [String: QuestionnaireDefinition]
    /// The region's reserve-number formats; with none, only personnummer and
    /// samordningsnummer identify a patient.
    public let reserveNumberFormats: [ReserveNumberFormat]
    public let today: CivilDate

    public init(kvaList: KVACodeList?, questionnaires: [QuestionnaireDefinition],
                reserveNumberFormats: [ReserveNumberFormat] = [], today: CivilDate) {
        self.kvaList = kvaList
        self.reserveNumberFormats = reserveNumberFormats
        var byKey: [String: QuestionnaireDefinition] = [:]
        for definition in questionnaires { byKey[definition.key] = definition }
        self.questionnaires = byKey
        self.today = today
    }

    /// The same reference data on another day.
    public func on(_ day: CivilDate) -> ReferenceData {
        ReferenceData(kvaList: kvaList, questionnaires: Array(questionnaires.values),
                      reserveNumberFormats: reserveNumberFormats, today: day)
    }

    /// The same reference data on the Swedish date of `unixMilliseconds`: what validation of
    /// a write made at that moment uses.
    public func onSwedishDate(of unixMilliseconds: Int64) -> ReferenceData {
        on(CivilDate.swedishToday(unixMilliseconds: unixMilliseconds))
    }

    /// A patient identifier as typed or asked for, in the one form records are stored and
    /// looked up by (see ``PersonalIdentityNumber/parsePatient(_:reserveFormats:today:)``).
    public func patientIdentifier(_ text: String) throws(IdentifierError) -> PersonalIdentityNumber {
        try PersonalIdentityNumber.parsePatient(text, reserveFormats: reserveNumberFormats, today: today)
    }

    /// Picks the newest of several KVÅ lists (by version, compared as text: "2026" > "2025").
    public static func newest(_ lists: [KVACodeList]) -> KVACodeList? {
        lists.max { $0.version.utf8.lexicographicallyPrecedes($1.version.utf8) }
    }
}
