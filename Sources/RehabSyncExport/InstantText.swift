import RehabSyncDomain

/// RFC 3339 instants to and from Unix milliseconds, without Foundation's formatters, so
/// that the pure parts stay pure and the same on every platform.
enum InstantText {
    /// Milliseconds of `YYYY-MM-DDTHH:MM:SS[.fff]` followed by `Z` or `±HH:MM`; nil otherwise.
    static func unixMilliseconds(_ text: String) -> Int64? {
        guard ISODateTime.isValid(text) else { return nil }
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int {
            bytes[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        guard let date = CivilDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        var seconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(number(11..<13) * 3_600 + number(14..<16) * 60 + min(number(17..<19), 59))
        var index = 19
        var milliseconds: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if digits < 3 { milliseconds = milliseconds * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
        }
        if bytes[index] != UInt8(ascii: "Z") {
            let offset = Int64(number((index + 1)..<(index + 3)) * 3_600 + number((index + 4)..<(index + 6)) * 60)
            seconds += bytes[index] == UInt8(ascii: "+") ? -offset : offset
        }
        return seconds * 1_000 + milliseconds
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
    static func format(_ unixMilliseconds: Int64) -> String {
        var seconds = unixMilliseconds / 1_000
        if unixMilliseconds % 1_000 < 0 { seconds -= 1 }
        var days = seconds / 86_400
        if seconds % 86_400 < 0 { days -= 1 }
        let ofDay = Int(seconds - days * 86_400)
        let date = CivilDate.from(daysSinceEpoch: Int(days))?.iso ?? "1970-01-01"
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date)T\(two(ofDay / 3_600)):\(two(ofDay % 3_600 / 60)):\(two(ofDay % 60))Z"
    }
}
