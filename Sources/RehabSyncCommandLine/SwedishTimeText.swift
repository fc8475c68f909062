import RehabSyncDomain

/// Instants as a person in Sweden reads them: ISO 8601 with the Europe/Stockholm offset in
/// force at the time (`2026-12-02T06:25:00+01:00`, `2026-07-01T14:00:00+02:00`), from the
/// project's own civil-time rule rather than the host's time-zone data.
public enum SwedishTimeText {
    /// The instant at whole seconds; an instant outside years 1...9999 is shown as its number.
    public static func format(unixMilliseconds: Int64) -> String {
        guard let local = SwedishCivilTime.localTime(atUnixMilliseconds: unixMilliseconds) else { return "\(unixMilliseconds)" }
        let offset = SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: unixMilliseconds)
        let seconds = local.secondsOfDay % 60
        return "\(local.date.iso)T\(twoDigits(local.hour)):\(twoDigits(local.minute)):\(twoDigits(seconds))"
            + "+\(twoDigits(offset / 3_600)):\(twoDigits(offset % 3_600 / 60))"
    }

    private static func twoDigits(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
}
