import Foundation
import Testing
import RehabSyncStorage

struct StatementTests {
    /// Opens a bare connection with a table that has UNIQUE and CHECK constraints.
    private func openPatientDatabase(in directory: URL) throws -> Connection {
        let connection = try Connection(
            path: databasePath(in: directory), readOnly: false, busyTimeoutMilliseconds: 1000)
        try connection.execute("""
            CREATE TABLE patient (
                id INTEGER PRIMARY KEY,
                personnummer TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL CHECK (length(name) <= 10)
            );
            """)
        return connection
    }

    @Test func errorDescriptionContainsTheSQLButNeverABoundValue() throws {
        try withTemporaryDirectory { directory in
            let connection = try openPatientDatabase(in: directory)
            let insert = "INSERT INTO patient (personnummer, name) VALUES (?, ?)"
            let statement = try connection.prepare(insert)
            try statement.execute([.text("19121212-1212"), .text("Tolvan")])

            // UNIQUE violation: the duplicate personnummer must not appear.
            let unique = #expect(throws: DatabaseError.self) {
                try statement.execute([.text("19121212-1212"), .text("Tolvan")])
            }
            let uniqueDescription = try #require(unique).description
            #expect(uniqueDescription.contains(insert))
            #expect(uniqueDescription.contains("UNIQUE"))
            #expect(!uniqueDescription.contains("19121212"))
            #expect(!uniqueDescription.contains("Tolvan"))

            // CHECK violation: the over-long name must not appear.
            let check = #expect(throws: DatabaseError.self) {
                try statement.execute([.text("19010101-0101"), .text("Astrid Anna Emilia Ericsson")])
            }
            let checkDescription = try #require(check).description
            #expect(checkDescription.contains(insert))
            #expect(!checkDescription.contains("Astrid"))
            #expect(!checkDescription.contains("19010101"))
        }
    }

    @Test func cachedStatementsAreReusedAndSurviveAFailedStep() throws {
        try withTemporaryDirectory { directory in
            let connection = try openPatientDatabase(in: directory)
            let insert: StaticString = "INSERT INTO patient (personnummer, name) VALUES (?, ?)"
            let first = try connection.cachedStatement(insert)
            try first.execute([.text("1"), .text("A")])
            #expect(throws: DatabaseError.self) {
                try first.execute([.text("1"), .text("B")])
            }

            let again = try connection.cachedStatement(insert)
            #expect(again === first)
            try again.execute([.text("2"), .text("C")])

            // A cached SELECT abandoned mid-iteration is reset when fetched again.
            let select: StaticString = "SELECT name FROM patient ORDER BY id"
            let names = try connection.cachedStatement(select)
            #expect(try names.step())
            let fresh = try connection.cachedStatement(select)
            #expect(fresh === names)
            #expect(try fresh.rows { $0.text(at: 0) } == ["A", "C"])
        }
    }

    @Test func typedBindsAndReadsRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let connection = try Connection(
                path: databasePath(in: directory), readOnly: false, busyTimeoutMilliseconds: 1000)
            try connection.execute("CREATE TABLE t (i, r, s, b, n)")
            let insert = try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
            try insert.bind(Int64.min, at: 1)
            try insert.bind(0.5, at: 2)
            try insert.bind("å\u{0}ö", at: 3)  // embedded NUL survives
            try insert.bind([0, 255], at: 4)
            try insert.bindNull(at: 5)
            try insert.execute()
            #expect(connection.changes == 1)
            #expect(connection.lastInsertRowID == 1)
            // Empty text and an empty blob are not NULL.
            try insert.execute([.integer(1), .real(1), .text(""), .blob([]), .null])

            let rows = try connection.prepare("SELECT i, r, s, b, n FROM t ORDER BY rowid").rows {
                statement in (0..<statement.columnCount).map { statement.value(at: $0) }
            }
            #expect(rows == [
                [.integer(Int64.min), .real(0.5), .text("å\u{0}ö"), .blob([0, 255]), .null],
                [.integer(1), .real(1), .text(""), .blob([]), .null],
            ])
        }
    }

    @Test func misuseIsReportedClearly() throws {
        try withTemporaryDirectory { directory in
            let connection = try Connection(
                path: databasePath(in: directory), readOnly: false, busyTimeoutMilliseconds: 1000)
            try connection.execute("CREATE TABLE t (a TEXT)")

            let count = #expect(throws: DatabaseError.self) {
                try connection.prepare("INSERT INTO t VALUES (?)").execute([])
            }
            #expect(count?.resultCode == DatabaseError.Code.misuse)

            let several = #expect(throws: DatabaseError.self) {
                _ = try connection.prepare("SELECT 1; SELECT 2")
            }
            #expect(several?.message.contains("more than one statement") == true)
            // Trailing semicolons and whitespace are fine.
            _ = try connection.prepare("SELECT 1;  \n")

            try connection.execute("INSERT INTO t VALUES (NULL)")
            let type = #expect(throws: DatabaseError.self) {
                _ = try connection.prepare("SELECT a FROM t").firstRow { try $0.requireText(at: 0) }
            }
            #expect(type?.message.contains("holds NULL, expected TEXT") == true)

            #expect(throws: DatabaseError.self) { _ = try connection.pragmaInt("user_version; DROP") }
        }
    }

    @Test func nestedTransactionIsRefusedWithoutBreakingTheOuterOne() throws {
        try withTemporaryDirectory { directory in
            let connection = try Connection(
                path: databasePath(in: directory), readOnly: false, busyTimeoutMilliseconds: 1000)
            try connection.execute("CREATE TABLE t (a)")
            try connection.inTransaction(.immediate) {
                try connection.execute("INSERT INTO t VALUES (1)")
                #expect(throws: DatabaseError.self) {
                    try connection.inTransaction(.deferred) {}
                }
            }
            #expect(!connection.isInTransaction)
            #expect(try connection.prepare("SELECT count(*) FROM t").firstRow { $0.int64(at: 0) } == 1)
        }
    }
}
