/// Checks instants written as RFC 3339 date-times: `YYYY-MM-DDTHH:MM:SS`, optional
/// fraction, then `Z` or `±HH:MM`. Only the form is checked; the date must be real.
public enum ISODateTime {
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") else { return false }
        guard let date = String(validating: bytes[0..<10], as: UTF8.self), CivilDate(iso: date) != nil else { return false }
        func number(_ range: Range<Int>, max: Int) -> Bool {
            guard range.upperBound <= bytes.count else { return false }
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return false }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value <= max
        }
        guard number(11..<13, max: 23), bytes[13] == UInt8(ascii: ":"), number(14..<16, max: 59),
            bytes[16] == UInt8(ascii: ":"), number(17..<19, max: 60)
        else { return false }
        var index = 19
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > start, index - start <= 9 else { return false }
        }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "Z") { return index + 1 == bytes.count }
        guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"), index + 6 == bytes.count else { return false }
        return number((index + 1)..<(index + 3), max: 23) && bytes[index + 3] == UInt8(ascii: ":")
            && number((index + 4)..<(index + 6), max: 59)
    }

    /// The instant `text` names, in milliseconds since the Unix epoch, or nil when it is
    /// not a valid date-time. A leap second counts as the second before the next minute.
    public static func unixMilliseconds(_ text: String) -> Int64? {
        guard isValid(text) else { return nil }
        let bytes = Array(text.utf8)
        // Safe to slice: `isValid` checked every position read below.
        func number(_ range: Range<Int>) -> Int64 { Int64(CivilDate.decimal(bytes[range]) ?? 0) }
        guard let date = CivilDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        var seconds = Int64(date.daysSinceEpoch) * 86_400 + number(11..<13) * 3_600 + number(14..<16) * 60 + min(number(17..<19), 59)
        var index = 19
        var milliseconds: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100
            while (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                milliseconds += Int64(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
        }
        if bytes[index] != UInt8(ascii: "Z") {
            let offset = number((index + 1)..<(index + 3)) * 3_600 + number((index + 4)..<(index + 6)) * 60
            seconds += bytes[index] == UInt8(ascii: "+") ? -offset : offset
        }
        return seconds * 1_000 + milliseconds
    }
}
