// The schema of every collection. Field names are lowerCamelCase and stable: operators and
// integrators script against them.

extension CollectionSchema {
    /// The vocabulary shared by several collections.
    public enum Vocabulary {
        public static let needLevels = ["grundläggande", "särskilda", "avancerade", "mycket avancerade"]
        public static let planStatuses = ["draft", "active", "completed"]
        public static let goalStatuses = ["open", "achieved", "partlyAchieved", "notAchieved", "cancelled"]
        public static let interventionStatuses = ["planned", "ongoing", "completed", "cancelled"]
        /// The digital formats of seed 000 (the VGR online-rehabilitation pilot).
        public static let interventionFormats = ["individual", "group", "digitalProgramme", "asynchronousChat"]
        public static let professions = [
            "physician", "nurse", "occupationalTherapist", "physiotherapist", "dietitian",
            "counsellor", "speechTherapist", "psychologist", "other",
        ]
        public static let timepoints = [
            "diagnosis", "treatmentStart", "treatmentEnd", "progression", "palliativeTransition", "handover", "other",
        ]
        public static let assessmentStatuses = ["inProgress", "completed"]
        public static let assessmentSources = ["patient", "clinician"]
        public static let enrolmentStatuses = ["active", "onHold", "completed", "withdrawn"]
        public static let identifierTypes = ["personnummer", "samordningsnummer", "reserve"]
        public static let referralDecisions = ["pending", "accepted", "declined"]
    }

    static let shortText = FieldKind.text(maximumBytes: 200)
    static let longText = FieldKind.text(maximumBytes: 20_000)

    static let patients = CollectionSchema(.patients, [
        "identifierType": FieldRule(.enumeration(Vocabulary.identifierTypes), required: true),
        "careUnits": FieldRule(.hsaIDList, required: true),
        // Seed 000's exclusion criterion: a patient who cannot or will not receive care
        // through digital tools is not enrolled in online rehabilitation.
        "digitalCareConsent": FieldRule(.boolean, required: true),
        "status": FieldRule(.enumeration(Vocabulary.enrolmentStatuses), required: true),
    ])

    static let carePlans = CollectionSchema(.carePlans, [
        "careUnits": FieldRule(.hsaIDList, required: true),
        "title": FieldRule(shortText, required: true),
        "summary": FieldRule(longText),
        "status": FieldRule(.enumeration(Vocabulary.planStatuses), required: true),
        "contactNurse": FieldRule(.hsaID),
        // The clinician's judgement; never derived from a questionnaire score.
        "needLevel": FieldRule(.enumeration(Vocabulary.needLevels)),
        "established": FieldRule(.date),
        "lastRevised": FieldRule(.date),
    ])

    static let planGoals = CollectionSchema(.planGoals, [
        "carePlan": FieldRule(.recordReference, required: true),
        "careUnits": FieldRule(.hsaIDList, required: true),
        "text": FieldRule(.text(maximumBytes: 2_000), required: true),
        "targetDate": FieldRule(.date),
        "status": FieldRule(.enumeration(Vocabulary.goalStatuses), required: true),
    ])

    static let plannedInterventions = CollectionSchema(.plannedInterventions, [
        "carePlan": FieldRule(.recordReference, required: true),
        "careUnits": FieldRule(.hsaIDList, required: true),
        "kvaCode": FieldRule(.kvaCode, required: true),
        "profession": FieldRule(.enumeration(Vocabulary.professions), required: true),
        "format": FieldRule(.enumeration(Vocabulary.interventionFormats), required: true),
        "status": FieldRule(.enumeration(Vocabulary.interventionStatuses), required: true),
        "performedDate": FieldRule(.date),
    ])

    static let assessments = CollectionSchema(.assessments, [
        "careUnits": FieldRule(.hsaIDList, required: true),
        "questionnaire": FieldRule(.text(maximumBytes: 100), required: true),
        "questionnaireVersion": FieldRule(.text(maximumBytes: 40), required: true),
        "answers": FieldRule(.answers, required: true),
        "timepoint": FieldRule(.enumeration(Vocabulary.timepoints), required: true),
        "source": FieldRule(.enumeration(Vocabulary.assessmentSources), required: true),
        "authored": FieldRule(.dateTime, required: true),
        "status": FieldRule(.enumeration(Vocabulary.assessmentStatuses), required: true),
        // An amendment is a new assessment referring to the completed one it corrects.
        "amends": FieldRule(.recordReference),
    ])

    static let handovers = CollectionSchema(.handovers, [
        "sendingUnit": FieldRule(.hsaID, required: true),
        "receivingUnit": FieldRule(.hsaID, required: true),
        "carePlan": FieldRule(.recordReference, required: true),
        "summary": FieldRule(longText, required: true),
        "ongoingInterventions": FieldRule(.recordReferenceList),
        "status": FieldRule(.enumeration(HandoverState.allCases.map(\.rawValue)), required: true),
    ])

    static let referrals = CollectionSchema(.referrals, [
        "referrer": FieldRule(.hsaID, required: true),
        "referringUnit": FieldRule(.hsaID, required: true),
        "receivingUnit": FieldRule(.hsaID, required: true),
        // Seed 000's three inclusion and three exclusion criteria, each answered explicitly.
        "inclusionCriteria": FieldRule(.object([
            "cancerDiseaseOrTreatment": .boolean,
            "assessedNeedForInterdisciplinaryTeam": .boolean,
            "wantsInterdisciplinaryRehabilitation": .boolean,
        ]), required: true),
        "exclusionCriteria": FieldRule(.object([
            "conditionPreventingActiveParticipation": .boolean,
            "noConsentToCollaboration": .boolean,
            "cannotOrWillNotUseDigitalTools": .boolean,
        ]), required: true),
        "decision": FieldRule(.enumeration(Vocabulary.referralDecisions), required: true),
        "decisionReason": FieldRule(.text(maximumBytes: 2_000)),
        "received": FieldRule(.date, required: true),
        "decided": FieldRule(.date),
        "firstContact": FieldRule(.date),
    ])
}
