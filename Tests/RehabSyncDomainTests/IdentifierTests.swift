import Foundation
import RehabSyncDomain
import Testing

/// Personnummer, samordningsnummer, reserve numbers, HSA-ids, KVÅ codes and civil dates.
///
/// Check digits of the made-up numbers below were computed with the Luhn rule over the
/// 10-digit form; Skatteverket's own examples are 121212-1212 and 701063-2391.
struct IdentifierTests {
    /// The "today" most tests use.
    static let todayISO = "2026-11-23"

    private func date(_ iso: String) throws -> CivilDate {
        try #require(CivilDate(iso: iso))
    }

    private func parse(_ text: String, today iso: String = todayISO) throws -> PersonalIdentityNumber {
        try PersonalIdentityNumber.parse(text, today: date(iso))
    }

    /// The rule a parse fails with, or nil when it succeeds.
    private func failure(_ text: String, today iso: String = todayISO) throws -> IdentifierError? {
        let today = try date(iso)
        do {
            _ = try PersonalIdentityNumber.parse(text, today: today)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Personnummer forms and the Skatteverket examples

    @Test(arguments: ["19121212-1212", "191212121212", "  19121212-1212\n", "121212+1212"])
    func parsesSkatteverketsTestNumberAsBornIn1912(text: String) throws {
        let number = try parse(text)
        #expect(number.canonical == "191212121212")
        #expect(number.kind == .personnummer)
        #expect(number.birthDate == CivilDate(year: 1912, month: 12, day: 12))
    }

    @Test(arguments: ["121212-1212", "1212121212"])
    func tenDigitsWithMinusTakeTheLatestCenturyNotAfterToday(text: String) throws {
        // 2012-12-12 is before 2026-11-23, so the number belongs to a 13-year-old.
        #expect(try parse(text).canonical == "201212121212")
        // The day before 2012-12-12, the same text can only mean 1912.
        #expect(try parse(text, today: "2012-12-11").canonical == "191212121212")
        #expect(try parse(text, today: "2012-12-12").canonical == "201212121212")
    }

    @Test func refusesAWrongCheckDigit() throws {
        #expect(try failure("19121212-1213")?.rule == "personnummer.checksum")
        #expect(try failure("121212-1213")?.rule == "personnummer.checksum")
    }

    @Test func parsesSkatteverketsSamordningsnummerExample() throws {
        let number = try parse("701063-2391")
        #expect(number.canonical == "197010632391")
        #expect(number.kind == .samordningsnummer)
        #expect(number.birthDate == CivilDate(year: 1970, month: 10, day: 3))
        #expect(try parse("197010632391") == number)
    }

    @Test(arguments: [
        ("040229-1231", "200402291231"),
        ("240229-1237", "202402291237"),
        ("20000229-1235", "200002291235"),
        ("000229-1235", "200002291235"),
    ])
    func acceptsFebruary29InALeapYear(text: String, canonical: String) throws {
        #expect(try parse(text).canonical == canonical)
    }

    @Test(arguments: ["050229-1230", "250229-1236", "19000229-1235", "010229-1234"])
    func refusesFebruary29InACommonYear(text: String) throws {
        #expect(try failure(text)?.rule == "personnummer.date")
    }

    @Test(arguments: [
        "121200-1232", // day 00
        "121312-1237", // month 13
        "120013-1231", // month 00
        "121232-1234", // day 32
        "701060-1230", // samordningsnummer day 60, which is day 0
        "701092-1232", // samordningsnummer day 92, which is day 32
    ])
    func refusesDatesThatDoNotExist(text: String) throws {
        #expect(try failure(text)?.rule == "personnummer.date")
    }

    @Test func samordningsnummerDayIsBirthDayPlusSixty() throws {
        let number = try parse("20261183-1237")
        #expect(number.kind == .samordningsnummer)
        #expect(number.canonical == "202611831237")
        #expect(number.birthDate == CivilDate(year: 2026, month: 11, day: 23))
    }

    @Test func refusesBirthNumberZero() throws {
        #expect(try failure("121212-0008")?.rule == "personnummer.birthnumber")
    }

    // MARK: Century

    @Test(arguments: [
        ("000101-1238", "200001011238"),
        ("000101+1238", "190001011238"),
        ("991231-1231", "199912311231"),
        ("991231+1231", "189912311231"),
        ("261123-1230", "202611231230"), // born today
        ("261124-1239", "192611241239"), // tomorrow's date in 2026 is in the future, so 1926
        ("261123+1230", "192611231230"), // turns 100 today
        ("261124+1239", "182611241239"), // turns 100 tomorrow if born 1926, so 1826
    ])
    func infersTheCenturyFromTheSeparatorAndToday(text: String, canonical: String) throws {
        #expect(try parse(text).canonical == canonical)
    }

    @Test func refusesAFutureBirthDateInTheTwelveDigitForm() throws {
        #expect(try failure("20261124-1239")?.rule == "personnummer.future")
        #expect(try failure("202611241239")?.rule == "personnummer.future")
        #expect(try parse("20261123-1230").canonical == "202611231230")
    }

    @Test(arguments: ["17121212-1212", "211212121212", "001212121212"])
    func refusesCenturiesOtherThan18To20(text: String) throws {
        #expect(try failure(text)?.rule == "personnummer.century")
    }

    @Test func acceptsTheEighteenHundreds() throws {
        #expect(try parse("18121212-1212").canonical == "181212121212")
    }

    // MARK: Format

    @Test(arguments: [
        "",
        "   ",
        "19121212+1212", // '+' only with 10 digits
        "1212121-212",
        "12121212121",
        "19121212 1212",
        "121212 1212",
        "121212_1212",
        "121212--1212",
        "19121212-12120",
        "abcdefghijkl",
        "12121212121a",
        "1912121-21212",
        "١٢١٢١٢-١٢١٢", // Arabic-Indic digits are not accepted
        "121212\u{2013}1212", // en dash
    ])
    func refusesEverythingButTheFiveForms(text: String) throws {
        #expect(try failure(text)?.rule == "personnummer.format")
    }

    @Test func requiresTheExpectedKind() throws {
        let today = try date(Self.todayISO)
        #expect(try PersonalIdentityNumber.parse("701063-2391", kind: .samordningsnummer, today: today).kind == .samordningsnummer)
        #expect(try PersonalIdentityNumber.parse("19121212-1212", kind: .personnummer, today: today).kind == .personnummer)
        #expect(throws: IdentifierError(
            rule: "personnummer.kind",
            message: "Expected a personnummer but the number is a samordningsnummer."
        )) {
            try PersonalIdentityNumber.parse("701063-2391", kind: .personnummer, today: today)
        }
        let error = #expect(throws: IdentifierError.self) {
            try PersonalIdentityNumber.parse("19121212-1212", kind: .samordningsnummer, today: today)
        }
        #expect(error?.rule == "personnummer.kind")
    }

    @Test func givesTheHL7SwedenIdentifierSystems() throws {
        let today = try date(Self.todayISO)
        #expect(try parse("191212121212").fhirSystem == "http://electronichealth.se/identifier/personnummer")
        #expect(try parse("701063-2391").fhirSystem == "http://electronichealth.se/identifier/samordningsnummer")
        #expect(try PersonalIdentityNumber.parse("19121212R001", kind: .reserve, reserveFormats: [DomainFixtures.reserveFormat],
                                                 today: today).fhirSystem
            == "http://electronichealth.se/identifier/nationelltReservnummer")
    }

    @Test func descriptionDoesNotRevealTheNumber() throws {
        let number = try parse("19121212-1212")
        #expect(!"\(number)".contains("1212"))
        #expect(!String(reflecting: number).contains("1212"))
    }

    // MARK: Reserve numbers

    @Test(arguments: [
        ("19121212r001", "19121212R001"),
        ("  19121212R001 ", "19121212R001"),
        ("00000000R999", "00000000R999"),
    ])
    func acceptsReserveNumbersOfAConfiguredFormatUppercased(text: String, canonical: String) throws {
        let number = try PersonalIdentityNumber.parseReserve(text, formats: [DomainFixtures.reserveFormat])
        #expect(number.kind == .reserve)
        #expect(number.canonical == canonical)
        #expect(number.birthDate == nil)
    }

    @Test(arguments: ["", "   ", "19121212R0001", "19121212-R001", "19121212 R001", "ÅB12", "R123", "19121212ABCD"])
    func refusesReserveNumbersOfNoConfiguredFormat(text: String) throws {
        let error = #expect(throws: IdentifierError.self) {
            try PersonalIdentityNumber.parseReserve(text, formats: [DomainFixtures.reserveFormat])
        }
        #expect(error?.rule == "reservnummer.format")
        #expect(error?.message.contains("regional-reserve-example ([0-9]{8}R[0-9]{3})") == true)
    }

    // MARK: Patient identifiers: one patient, one identity

    @Test func aMistypedPersonnummerIsRefusedAndNeverBecomesAReserveNumber() throws {
        let today = try date(Self.todayISO)
        let formats = [DomainFixtures.reserveFormat]
        let checkDigit = #expect(throws: IdentifierError.self) {
            try PersonalIdentityNumber.parsePatient("1212121213", reserveFormats: formats, today: today)
        }
        #expect(checkDigit?.rule == "personnummer.checksum")
        let letters = #expect(throws: IdentifierError.self) {
            try PersonalIdentityNumber.parsePatient("19121212ABCD", reserveFormats: formats, today: today)
        }
        #expect(letters?.rule == "reservnummer.format")
        #expect(letters?.message.contains("regional-reserve-example") == true)
        // With a separator it still looks like a personnummer: the error is about the check
        // digit, not about letters in a reserve number.
        let separated = #expect(throws: IdentifierError.self) {
            try PersonalIdentityNumber.parsePatient("19121212-1213", reserveFormats: formats, today: today)
        }
        #expect(separated?.rule == "personnummer.checksum")
    }

    @Test(arguments: [("19121212-1212", "191212121212"), ("121212+1212", "191212121212"), (" 191212121212 ", "191212121212"),
                      ("19121212r001", "19121212R001")])
    func everySpellingOfOnePatientGivesOneCanonicalIdentifier(text: String, canonical: String) throws {
        let parsed = try PersonalIdentityNumber.parsePatient(text, reserveFormats: [DomainFixtures.reserveFormat],
                                                             today: date(Self.todayISO))
        #expect(parsed.canonical == canonical)
    }

    @Test(arguments: ["1212121212", "191212121212", "121212-1212", "121212+1212", "19121212-1212"])
    func recognisesTheShapesOfAPersonnummer(text: String) {
        #expect(PersonalIdentityNumber.looksLikeIdentityNumber(text))
    }

    @Test(arguments: ["19121212ABCD", "19121212R001", "12121212121", "1212-121212", "121212-121"])
    func otherShapesAreNotTakenForAPersonnummer(text: String) {
        #expect(!PersonalIdentityNumber.looksLikeIdentityNumber(text))
    }

    // MARK: Reserve-number patterns

    @Test(arguments: [
        ("[0-9]{8}R[0-9]{3}", "19121212R001", true),
        ("[0-9]{8}R[0-9]{3}", "19121212R01", false),
        ("RES[0-9]{1,4}", "RES1", true),
        ("RES[0-9]{1,4}", "RES12345", false),
        ("[A-HJ-NP-Z]{2}-[0-9]{2,3}", "AB-12", true),
        ("[A-HJ-NP-Z]{2}-[0-9]{2,3}", "AI-12", false),
        ("[0-9]{1,3}[0-9]{2}", "12345", true),
        ("[0-9]{1,3}[0-9]{2}", "12", false),
        ("X[-0-9]{0,2}Y", "XY", true),
        ("X[-0-9]{0,2}Y", "X-7Y", true),
    ])
    func patternsMatchWholeNumbers(pattern: String, text: String, matches: Bool) throws {
        #expect(try ReserveNumberFormat(name: "t", pattern: pattern).matches(text) == matches)
    }

    @Test(arguments: ["", "[0-9", "[]", "[9-0]", "[A-9]", "a1", "R.*", "R{21}", "R{2,1}", "R{}", "(R)", "R|S", "R{0}", "R{,2}"])
    func refusesPatternsOutsideTheSmallLanguage(pattern: String) {
        let error = #expect(throws: IdentifierError.self) { try ReserveNumberFormat(name: "t", pattern: pattern) }
        #expect(error?.rule == "reservnummer.pattern")
    }

    @Test func theShippedExampleFormatLoadsAndMatchesItsOwnExample() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/reserve-numbers.json")
        let data = try #require(FileManager.default.contents(atPath: url.standardizedFileURL.path))
        let formats = try ReserveNumberFormat.list(json: Array(data), name: "reserve-numbers.json")
        #expect(formats.map(\.name) == ["regional-reserve-example"])
        #expect(formats.first?.matches("19121212R001") == true)
        #expect(formats.first?.matches("19121212ABCD") == false)
    }

    // MARK: Error messages

    @Test(arguments: [
        "19121212-1213", "19121212+1212", "121312-1237", "121212-0008", "20261124-1239",
        "17121212-1212", "701092-1232", "19121212 1212", "050229-1230",
    ])
    func errorMessagesNeverContainTheInput(text: String) throws {
        let error = try #require(try failure(text))
        let digits = String(text.filter(\.isNumber))
        #expect(!error.message.contains(text))
        #expect(!error.message.contains(digits))
        #expect(!error.description.contains(digits))
        // No run of four digits at all: not even a birth year or a fragment.
        var run = 0
        for character in error.message {
            run = character.isNumber ? run + 1 : 0
            #expect(run < 4)
        }
    }

    // MARK: HSA-id

    @Test(arguments: [
        "SE2321000016-1003",
        "SE162321000024-0001",
        "SE2321000016-15CQ",
        "SE2321000016-abcXYZ",
        "SE2321000016-123456789012345678", // 31 characters
    ])
    func acceptsHSAIDs(text: String) throws {
        #expect(try HSAID(text).value == text)
    }

    @Test(arguments: [
        "",
        "se2321000016-1003",
        "Se2321000016-1003",
        "SE2321000016",
        "SE232100001-1003",
        "SE23210000161-1003",
        "SE2321000016-",
        " SE2321000016-1003",
        "SE2321000016-1003 ",
        "SE2321000016-10 03",
        "SE2321000016_1003",
        "SE2321000016-10-3",
        "SE2321000016-10å3",
        "SE2321000016-1234567890123456789", // 32 characters
    ])
    func refusesMalformedHSAIDs(text: String) {
        let error = #expect(throws: IdentifierError.self) {
            try HSAID(text)
        }
        #expect(error?.rule == "hsaid.format")
    }

    // MARK: KVÅ

    @Test(arguments: ["AW020", "XV019", "XV020", "AU010", "AW019", "AU124", "DV111", "DV141"])
    func acceptsKVACodes(text: String) throws {
        #expect(try KVACode(text).value == text)
    }

    @Test(arguments: ["", "aw020", "Aw020", "AW20", "AW0200", "A1020", "AWX20", "ÅW020", " AW020", "AW020 ", "AW 020", "AW02O"])
    func refusesMalformedKVACodes(text: String) {
        let error = #expect(throws: IdentifierError.self) {
            try KVACode(text)
        }
        #expect(error?.rule == "kva.format")
    }

    @Test func refusesCodesEndingInZeroZeroZeroAsInvalidForStatistics() {
        let error = #expect(throws: IdentifierError.self) {
            try KVACode("AW000")
        }
        #expect(error?.rule == "kva.statistics")
    }

    // MARK: Civil dates

    @Test func validatesCalendarDates() {
        #expect(CivilDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2026, month: 4, day: 31) == nil)
        #expect(CivilDate(year: 2026, month: 12, day: 31) != nil)
        #expect(CivilDate(year: 2026, month: 13, day: 1) == nil)
        #expect(CivilDate(year: 2026, month: 0, day: 1) == nil)
        #expect(CivilDate(year: 2026, month: 1, day: 0) == nil)
        #expect(CivilDate(year: 0, month: 1, day: 1) == nil)
        #expect(CivilDate(year: 10_000, month: 1, day: 1) == nil)
    }

    @Test(arguments: ["2026-11-23", "0001-01-01", "9999-12-31", "2000-02-29"])
    func isoRoundTrips(text: String) throws {
        #expect(try date(text).iso == text)
    }

    @Test(arguments: ["2026-1-23", "2026-11-23T00:00", " 2026-11-23", "2026/11/23", "2023-02-29", "+026-11-23", "20261123", ""])
    func refusesAnythingButExactISODates(text: String) {
        #expect(CivilDate(iso: text) == nil)
    }

    @Test func convertsUnixMillisecondsToCivilDates() throws {
        #expect(CivilDate.from(unixMilliseconds: 0) == CivilDate(year: 1970, month: 1, day: 1))
        #expect(CivilDate.from(unixMilliseconds: -1) == CivilDate(year: 1969, month: 12, day: 31))
        #expect(CivilDate.from(unixMilliseconds: -1_000) == CivilDate(year: 1969, month: 12, day: 31))
        #expect(CivilDate.from(unixMilliseconds: 951_782_400_000) == CivilDate(year: 2000, month: 2, day: 29))
        // 23:30 UTC is already the next day in Stockholm (UTC+1 in November).
        #expect(CivilDate.from(unixMilliseconds: 1_795_390_200_000) == CivilDate(year: 2026, month: 11, day: 22))
        #expect(CivilDate.from(unixMilliseconds: 1_795_390_200_000, utcOffsetSeconds: 3_600) == CivilDate(year: 2026, month: 11, day: 23))
        #expect(CivilDate.from(unixMilliseconds: .max) == nil)
        #expect(CivilDate.from(unixMilliseconds: .min) == nil)
    }

    @Test func daysSinceEpochRoundTrips() throws {
        #expect(try date("1970-01-01").daysSinceEpoch == 0)
        #expect(try date("2000-03-01").daysSinceEpoch == 11_017)
        #expect(try date("1900-01-01").daysSinceEpoch == -25_567)
        for days in stride(from: -719_162, through: 2_932_896, by: 997) {
            let civil = try #require(CivilDate.from(daysSinceEpoch: days))
            #expect(civil.daysSinceEpoch == days)
        }
        #expect(CivilDate.from(daysSinceEpoch: -719_163) == nil)
        #expect(CivilDate.from(daysSinceEpoch: 2_932_897) == nil)
    }

    @Test func ordersDatesChronologically() throws {
        #expect(try date("2025-12-31") < date("2026-01-01"))
        #expect(try date("2026-01-31") < date("2026-02-01"))
        #expect(try !(date("2026-02-01") < date("2026-02-01")))
    }
}
