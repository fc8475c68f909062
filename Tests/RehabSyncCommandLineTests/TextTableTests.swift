import RehabSyncCommandLine
import RehabSyncCore
import Testing

/// `--output table`: aligned columns, Swedish letters one column wide, Swedish time.
struct TextTableTests {
    @Test("Columns line up under a header row, numbers on the right, with no trailing spaces")
    func columnsLineUp() {
        var table = TextTable([.init("NAME"), .init("PENDING", alignment: .right), .init("UNIT")])
        table.append(["laptop-1", "7", "A001"])
        table.append(["kiosk", "1204", ""])
        #expect(table.rendered == """
            NAME      PENDING  UNIT
            laptop-1        7  A001
            kiosk        1204

            """)
    }

    @Test("Å, ä and ö take one column each, composed or decomposed, so the next column still lines up")
    func swedishLettersAreOneColumnWide() {
        var table = TextTable([.init("CLINICIAN"), .init("UNIT")])
        table.append(["Åsa Öberg", "Umeå"])
        table.append(["A\u{030A}sa Ha\u{0308}ll", "Luleå"])
        table.append(["Bo", "Kiruna"])
        // Decomposed Å (A + ring) and ä count as the one column a terminal gives them.
        #expect(table.rendered == """
            CLINICIAN  UNIT
            Åsa Öberg  Umeå
            Åsa Häll   Luleå
            Bo         Kiruna

            """)
        #expect(table.rendered.unicodeScalars.count > table.rendered.count)
    }

    @Test("An empty table is its header row alone, and a row's missing cells are empty and its line breaks spaces")
    func emptyTableAndRaggedRows() {
        var table = TextTable([.init("ID"), .init("VALUE")])
        #expect(table.rendered == "ID  VALUE\n")
        table.append(["a\nb"])
        #expect(table.rendered == "ID   VALUE\na b\n")
    }

    @Test("Times are shown in Swedish time with the offset in force: +01:00 in winter, +02:00 in summer, across both changes")
    func swedishTimeAcrossDaylightSaving() {
        // 2026-12-02 05:25 UTC is 06:25 in Stockholm.
        #expect(SwedishTimeText.format(unixMilliseconds: 1_796_189_100_000) == "2026-12-02T06:25:00+01:00")
        // Summer time begins 2026-03-29 01:00 UTC: a second before is 01:59:59 CET, the moment itself 03:00 CEST.
        #expect(SwedishTimeText.format(unixMilliseconds: 1_774_745_999_000) == "2026-03-29T01:59:59+01:00")
        #expect(SwedishTimeText.format(unixMilliseconds: 1_774_746_000_000) == "2026-03-29T03:00:00+02:00")
        // It ends 2026-10-25 01:00 UTC: 02:59:59 CEST, then 02:00 CET again.
        #expect(SwedishTimeText.format(unixMilliseconds: 1_792_889_999_000) == "2026-10-25T02:59:59+02:00")
        #expect(SwedishTimeText.format(unixMilliseconds: 1_792_890_000_000) == "2026-10-25T02:00:00+01:00")
        // Before 1970 and at midnight.
        #expect(SwedishTimeText.format(unixMilliseconds: -3_600_000) == "1970-01-01T00:00:00+01:00")
    }

    @Test("JSON becomes rows: times from epoch milliseconds or RFC 3339, booleans as yes or no, lists joined, JSON kept as JSON")
    func jsonBecomesRows() {
        let devices: [JSONValue] = [
            .object(["name": .string("Laptop Västerbotten"), "units": .array([.string("A001"), .string("A002")]),
                     "lastSeenAt": .integer(1_796_189_100_000), "cursorLag": .integer(12), "revoked": .bool(false)]),
            .object(["name": .string("Kiosk"), "units": .array([]), "lastSeenAt": .null, "cursorLag": .integer(0), "revoked": .bool(true),
                     "values": .object(["a": .integer(1)])]),
        ]
        let table = JSONTable.table(devices, fields: [
            .init("NAME", "name"), .init("UNITS", "units"), .init("LAST SEEN", "lastSeenAt", .time), .init("LAG", "cursorLag"),
            .init("REVOKED", "revoked"), .init("VALUES", "values", .json),
        ])
        #expect(table.rendered == """
            NAME                 UNITS       LAST SEEN                  LAG  REVOKED  VALUES
            Laptop Västerbotten  A001, A002  2026-12-02T06:25:00+01:00   12  no
            Kiosk                                                         0  yes      {"a":1}

            """)
        #expect(JSONTable.cell(.string("2026-07-01T12:00:00Z"), kind: .time) == "2026-07-01T14:00:00+02:00")
        let status = JSONTable.keyValue(.object(["pending": .integer(3), "lastSyncAt": .null]), fields: [
            .init("pending", "pending"), .init("last sync", "lastSyncAt", .time),
        ])
        #expect(status.rendered == "FIELD      VALUE\npending    3\nlast sync\n")
    }

    @Test("--output is json unless table is asked for, and another value is refused by the table's choices")
    func outputFormatOption() throws {
        #expect(OutputFormat(try Arguments([], options: [OutputFormat.option])) == .json)
        #expect(OutputFormat(try Arguments(["--output=table"], options: [OutputFormat.option])) == .table)
        #expect(OutputFormat.option.choices == ["json", "table"])
    }
}
