/// Instants as the export's commands and admin API write them.
public enum ExportTime {
    /// Milliseconds of an RFC 3339 date-time (`2026-03-20T02:00:00+01:00`), nil when malformed.
    public static func unixMilliseconds(_ text: String) -> Int64? { InstantText.unixMilliseconds(text) }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(_ unixMilliseconds: Int64) -> String { InstantText.format(unixMilliseconds) }
}
