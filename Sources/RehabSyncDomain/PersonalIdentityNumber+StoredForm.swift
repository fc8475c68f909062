// The check of an identifier already in its stored form, which is what nearly every
// record of a push holds: read in place, without the arrays and strings a full parse
// builds to handle every form a clinician may type.

extension PersonalIdentityNumber {
    /// Whether `text` is a personnummer or samordningsnummer in the stored form, 12 ASCII
    /// digits, that ``parsePatient(_:reserveFormats:today:)`` accepts and gives back
    /// unchanged as its ``canonical``.
    ///
    /// The checks are those ``parse(_:today:)`` makes of a 12-digit number: check digit,
    /// century, date, birth number, not in the future. False says no more than that this
    /// is not such a number: the caller parses it in full, for the precise error or for
    /// another form.
    static func isStoredForm(_ text: String, today: CivilDate) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count == 12, bytes.allSatisfy(isDigit) else { return false }
            func digit(_ index: Int) -> Int { Int(bytes[index] - UInt8(ascii: "0")) }
            // The ten digits after the century, as the full parse reads them.
            guard luhnCheckDigit((2..<11).lazy.map(digit)) == digit(11) else { return false }
            let month = digit(4) * 10 + digit(5)
            let writtenDay = digit(6) * 10 + digit(7)
            // Samordningsnummer: Skatteverket adds 60 to the birth day.
            let day = writtenDay > 60 ? writtenDay - 60 : writtenDay
            let year = (digit(0) * 10 + digit(1)) * 100 + digit(2) * 10 + digit(3)
            guard supportedCenturies.contains(year / 100), let birthDate = CivilDate(year: year, month: month, day: day),
                digit(8) != 0 || digit(9) != 0 || digit(10) != 0
            else { return false }
            return birthDate <= today
        }
    }
}
