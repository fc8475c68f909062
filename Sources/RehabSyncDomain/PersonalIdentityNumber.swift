/// A Swedish patient identifier: a personnummer, a samordningsnummer (coordination
/// number) or a region's reserve number, in the canonical form we store and exchange.
///
/// Rules follow Skatteverket, rättslig vägledning 330245 and SKV M 2010:3 (see
/// `domain.md` section 6):
/// - structure `YYMMDD` + birth number `NNN` (001–999) + check digit `C`;
/// - the check digit is Luhn (mod 10) over the 10-digit form, weights 2,1,2,…;
/// - a samordningsnummer adds 60 to the day (61–91) and is otherwise checked the same;
/// - stored as 12 digits with century 18, 19 or 20 and no separator (RIV-TA form).
///
/// `description` is redacted because identity numbers are patient data and values end
/// up in logs through string interpolation; read ``canonical`` explicitly.
public struct PersonalIdentityNumber: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// Which register the identifier comes from.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case personnummer
        case samordningsnummer
        /// A region's reserve number for a patient whose identity number is unknown.
        case reserve
    }

    /// The kind of identifier.
    public let kind: Kind
    /// 12 digits `YYYYMMDDNNNC` for a personnummer or samordningsnummer (a
    /// samordningsnummer keeps its day + 60), or the reserve number trimmed and uppercased.
    public let canonical: String
    /// The real birth date (a samordningsnummer's day minus 60); nil for reserve numbers.
    public let birthDate: CivilDate?

    /// The centuries a 12-digit number may have, and that an inferred century must give.
    public static let supportedCenturies = 18...20

    private init(kind: Kind, canonical: String, birthDate: CivilDate?) {
        self.kind = kind
        self.canonical = canonical
        self.birthDate = birthDate
    }

    /// The FHIR `identifier.system` for this kind (HL7 Sweden base profiles).
    ///
    /// Reserve numbers map to `nationelltReservnummer`, the only reserve slice the
    /// profiles define, even though regional reserve numbers are not national ones.
    public var fhirSystem: String {
        switch kind {
        case .personnummer: "http://electronichealth.se/identifier/personnummer"
        case .samordningsnummer: "http://electronichealth.se/identifier/samordningsnummer"
        case .reserve: "http://electronichealth.se/identifier/nationelltReservnummer"
        }
    }

    public var description: String {
        "PersonalIdentityNumber(\(kind.rawValue), redacted)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["kind": kind], displayStyle: .struct)
    }

    /// Parses a patient identifier as every entry point must: input that looks like a
    /// personnummer (10 or 12 digits, with or without `-` or `+`) is checked as one, so a
    /// mistyped number is refused for what is wrong with it and never becomes a new
    /// reserve-number patient; anything else must match one of the region's
    /// reserve-number formats. The error of a refused reserve number lists the formats.
    public static func parsePatient(_ text: String, reserveFormats: [ReserveNumberFormat],
                                    today: CivilDate) throws(IdentifierError) -> PersonalIdentityNumber {
        if looksLikeIdentityNumber(text) {
            return try parse(text, today: today)
        }
        return try parseReserve(text, formats: reserveFormats)
    }

    /// Whether `text`, trimmed, has the shape of a personnummer or samordningsnummer: 10 or
    /// 12 digits, or the same with one `-` or `+` before the last four.
    public static func looksLikeIdentityNumber(_ text: String) -> Bool {
        let bytes = Array(trimmed(text).utf8)
        switch bytes.count {
        case 10, 12:
            return bytes.allSatisfy(isDigit)
        case 11, 13:
            let separator = bytes[bytes.count - 5]
            guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "+") else { return false }
            return bytes.indices.allSatisfy { $0 == bytes.count - 5 || isDigit(bytes[$0]) }
        default:
            return false
        }
    }

    /// Parses a personnummer or samordningsnummer and requires the given kind; for
    /// `.reserve`, parses a reserve number against `reserveFormats` instead.
    public static func parse(_ text: String, kind: Kind, reserveFormats: [ReserveNumberFormat] = [],
                             today: CivilDate) throws(IdentifierError) -> PersonalIdentityNumber {
        if kind == .reserve {
            return try parseReserve(text, formats: reserveFormats)
        }
        let parsed = try parse(text, today: today)
        guard parsed.kind == kind else {
            throw IdentifierError(
                rule: "personnummer.kind",
                message: "Expected a \(kind.rawValue) but the number is a \(parsed.kind.rawValue)."
            )
        }
        return parsed
    }

    /// Parses a personnummer or samordningsnummer, telling them apart by the day.
    ///
    /// Accepted forms, after trimming surrounding whitespace:
    /// - `YYYYMMDDNNNC` and `YYYYMMDD-NNNC`: the century is given and must be 18, 19 or
    ///   20, and the date must not be after `today`.
    /// - `YYMMDD-NNNC` and `YYMMDDNNNC`: the century is the latest one that puts the date
    ///   on or before `today`.
    /// - `YYMMDD+NNNC` (the person has turned 100): the latest century that makes the
    ///   person at least 100 years old on `today`.
    ///
    /// `+` with a 12-digit number is refused: the century is already given, and a
    /// separator that could disagree with it is more likely a typing error than data.
    /// Inferring the century from `+` and today's date is a common convention, not a
    /// rule stated by Skatteverket.
    ///
    /// Checks, in order: format, check digit, century, date, birth number, future.
    public static func parse(_ text: String, today: CivilDate) throws(IdentifierError) -> PersonalIdentityNumber {
        let bytes = Array(trimmed(text).utf8)
        let century: Int?
        let separator: UInt8
        let tenDigits: [UInt8]
        switch bytes.count {
        case 12:
            century = CivilDate.decimal(bytes[0..<2])
            separator = UInt8(ascii: "-")
            tenDigits = Array(bytes[2...])
        case 13:
            guard bytes[8] != UInt8(ascii: "+") else {
                throw IdentifierError(
                    rule: "personnummer.format",
                    message: "A '+' separator is only allowed in the 10-digit form; the 12-digit form already gives the century."
                )
            }
            guard bytes[8] == UInt8(ascii: "-") else { throw formatError }
            century = CivilDate.decimal(bytes[0..<2])
            separator = UInt8(ascii: "-")
            tenDigits = Array(bytes[2..<8] + bytes[9...])
        case 10:
            century = nil
            separator = UInt8(ascii: "-")
            tenDigits = bytes
        case 11:
            guard bytes[6] == UInt8(ascii: "-") || bytes[6] == UInt8(ascii: "+") else { throw formatError }
            century = nil
            separator = bytes[6]
            tenDigits = Array(bytes[0..<6] + bytes[7...])
        default:
            throw formatError
        }
        // `century` is nil both when absent and when not digits; only the latter is an
        // error, caught here by requiring every byte but the separator to be a digit.
        guard bytes.allSatisfy({ isDigit($0) || $0 == separator }), tenDigits.allSatisfy(isDigit) else {
            throw formatError
        }
        let digits = tenDigits.map { Int($0 - UInt8(ascii: "0")) }

        guard luhnCheckDigit(digits[0..<9]) == digits[9] else {
            throw IdentifierError(
                rule: "personnummer.checksum",
                message: "The check digit does not match; the number is probably mistyped."
            )
        }

        let shortYear = digits[0] * 10 + digits[1]
        let month = digits[2] * 10 + digits[3]
        let writtenDay = digits[4] * 10 + digits[5]
        // Samordningsnummer: Skatteverket adds 60 to the birth day.
        let kind: Kind = writtenDay > 60 ? .samordningsnummer : .personnummer
        let day = kind == .samordningsnummer ? writtenDay - 60 : writtenDay

        let year: Int
        if let century {
            year = century * 100 + shortYear
        } else {
            year = inferYear(shortYear: shortYear, month: month, day: day, hasTurned100: separator == UInt8(ascii: "+"), today: today)
        }
        guard supportedCenturies.contains(year / 100) else {
            throw IdentifierError(
                rule: "personnummer.century",
                message: "The century of the birth year must be 18, 19 or 20."
            )
        }
        guard let birthDate = CivilDate(year: year, month: month, day: day) else {
            throw IdentifierError(
                rule: "personnummer.date",
                message: kind == .samordningsnummer
                    ? "The birth date (day minus 60) is not a real calendar date."
                    : "The birth date is not a real calendar date."
            )
        }
        guard digits[6] != 0 || digits[7] != 0 || digits[8] != 0 else {
            throw IdentifierError(
                rule: "personnummer.birthnumber",
                message: "The birth number must be between 001 and 999."
            )
        }
        guard birthDate <= today else {
            throw IdentifierError(rule: "personnummer.future", message: "The birth date is in the future.")
        }

        let canonical = String(year / 100) + String(decoding: tenDigits, as: UTF8.self)
        return PersonalIdentityNumber(kind: kind, canonical: canonical, birthDate: birthDate)
    }

    /// Parses a reserve number: trimmed and uppercased, it must match one of `formats`
    /// (the region's, from `Config/reserve-numbers.json`). The error names every allowed
    /// format, and that a personnummer is 10 or 12 digits, but never the input.
    public static func parseReserve(_ text: String, formats: [ReserveNumberFormat]) throws(IdentifierError) -> PersonalIdentityNumber {
        let upper = String(decoding: trimmed(text).utf8.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) ? $0 - 32 : $0 },
                           as: UTF8.self)
        guard formats.contains(where: { $0.matches(upper) }) else {
            let allowed = formats.isEmpty
                ? "this region has configured no reserve-number formats"
                : "the region's reserve-number formats are " + formats.map { "\($0.name) (\($0.pattern))" }.joined(separator: ", ")
            throw IdentifierError(
                rule: "reservnummer.format",
                message: "Not a personnummer or samordningsnummer (YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDD-NNNC, YYMMDD+NNNC or YYMMDDNNNC) and not a reserve number: \(allowed)."
            )
        }
        return PersonalIdentityNumber(kind: .reserve, canonical: upper, birthDate: nil)
    }

    /// The Luhn check digit of `digits`: weights 2,1,2,… from the left, digit sum of each
    /// product, then (10 - sum mod 10) mod 10.
    static func luhnCheckDigit(_ digits: some Sequence<Int>) -> Int {
        var sum = 0
        for (offset, digit) in digits.enumerated() {
            let product = offset % 2 == 0 ? digit * 2 : digit
            sum += product / 10 + product % 10
        }
        return (10 - sum % 10) % 10
    }

    /// The full year for a 10-digit number: the latest year ending in `shortYear` whose
    /// date is on or before `today`, or, with `+`, whose hundredth anniversary is.
    ///
    /// Compares (year, month, day) as numbers before checking that the date exists, so an
    /// impossible date is reported as a date error rather than shifting the century.
    private static func inferYear(shortYear: Int, month: Int, day: Int, hasTurned100: Bool, today: CivilDate) -> Int {
        let ageInYears = hasTurned100 ? 100 : 0
        var year = today.year - today.year % 100 + shortYear
        // At most two steps: the start is less than a century after today.
        while (year + ageInYears, month, day) > (today.year, today.month, today.day) {
            year -= 100
        }
        return year
    }

    private static var formatError: IdentifierError {
        IdentifierError(
            rule: "personnummer.format",
            message: "Expected YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDD-NNNC, YYMMDD+NNNC or YYMMDDNNNC."
        )
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func trimmed(_ text: String) -> Substring {
        let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.isWhitespace }.map { text.index(after: $0) } ?? start
        return text[start..<end]
    }
}
