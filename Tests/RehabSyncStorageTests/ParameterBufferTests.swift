import Foundation
@testable import RehabSyncStorage
import Testing

/// Parameters bound from one buffer without SQLite's copies (``ParameterBuffer``): the
/// same values as the ordinary bindings, and nothing left bound afterwards.
struct ParameterBufferTests {
    private func openConnection(in directory: URL) throws -> Connection {
        try Connection(path: databasePath(in: directory), readOnly: false, busyTimeoutMilliseconds: 1000)
    }

    @Test("text, blobs, integers and NULL bind as the ordinary bindings do, empty text and blobs included")
    func textBlobsIntegersAndNullBindAsTheOrdinaryBindingsDo() throws {
        let scratch = try ScratchDirectory()
        let connection = try openConnection(in: scratch.url)
        let statement = try connection.prepare("SELECT ?, typeof(?2), ?3, typeof(?3), length(?3), ?4, typeof(?4), ?5, typeof(?5), ?6, typeof(?6)")
        var parameters = ParameterBuffer()
        parameters.append("Åsa\u{0}Öberg")
        parameters.append(Int64(-7))
        parameters.append(blob: [0, 1, 2, 255])
        parameters.append("")
        parameters.append(blob: [])
        parameters.append(nil as String?)
        let rows = try statement.rows(parameters) { row in
            (row.text(at: 0), row.text(at: 1), row.blob(at: 2), row.text(at: 3), row.int64(at: 4), row.text(at: 5), row.text(at: 6),
             row.blob(at: 7), row.text(at: 8), row.isNull(at: 9), row.text(at: 10))
        }
        let row = try #require(rows.first)
        #expect(row.0 == "Åsa\u{0}Öberg")
        #expect(row.1 == "integer")
        #expect(row.2 == [0, 1, 2, 255] && row.3 == "blob" && row.4 == 4)
        #expect(row.5 == "" && row.6 == "text")
        #expect(row.7 == [] && row.8 == "blob")
        #expect(row.9 && row.10 == "null")
    }

    @Test("nothing stays bound once a run is over, so no pointer into the buffer outlives it")
    func nothingStaysBoundOnceARunIsOver() throws {
        let scratch = try ScratchDirectory()
        let connection = try openConnection(in: scratch.url)
        let statement = try connection.prepare("SELECT typeof(?1), typeof(?2)")
        var parameters = ParameterBuffer()
        parameters.append("text")
        parameters.append(blob: [1, 2, 3])
        _ = try statement.rows(parameters) { _ in () }
        let after = try statement.firstRow { ($0.text(at: 0), $0.text(at: 1)) }
        #expect(after?.0 == "null" && after?.1 == "null")
    }

    @Test("a run refused by SQLite clears its bindings too, and the buffer serves the next run after removeAll")
    func aRunRefusedBySQLiteClearsItsBindingsToo() throws {
        let scratch = try ScratchDirectory()
        let connection = try openConnection(in: scratch.url)
        try connection.execute("CREATE TABLE t (name TEXT NOT NULL UNIQUE)")
        let insert = try connection.prepare("INSERT INTO t (name) VALUES (?)")
        var parameters = ParameterBuffer()
        parameters.append("one")
        try insert.execute(parameters)
        let repeated = #expect(throws: DatabaseError.self) { try insert.execute(parameters) }
        #expect(repeated?.extendedResultCode == 2_067)  // SQLITE_CONSTRAINT_UNIQUE
        // Unbound, the parameter is NULL, which the NOT NULL column refuses; a binding left
        // behind would insert "one" again and fail on UNIQUE instead.
        let unbound = #expect(throws: DatabaseError.self) { try insert.execute() }
        #expect(unbound?.extendedResultCode == 1_299)  // SQLITE_CONSTRAINT_NOTNULL
        parameters.removeAll()
        parameters.append("two")
        try insert.execute(parameters)
        let names = try connection.prepare("SELECT name FROM t ORDER BY name").rows { $0.text(at: 0) }
        #expect(names == ["one", "two"])
    }

    @Test("a count of parameters other than the statement's is refused before anything is bound")
    func aCountOfParametersOtherThanTheStatementsIsRefused() throws {
        let scratch = try ScratchDirectory()
        let connection = try openConnection(in: scratch.url)
        let statement = try connection.prepare("SELECT ?, ?")
        var parameters = ParameterBuffer()
        parameters.append(Int64(1))
        #expect(throws: DatabaseError.self) { _ = try statement.rows(parameters) { _ in () } }
    }
}
