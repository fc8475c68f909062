import Foundation
import Testing
import RehabSyncStorage

/// The settings a pool gives the files it creates, and SQLite's process-wide settings.
struct DatabaseFileSettingsTests {
    @Test("SQLite takes the process-wide settings before the first connection opens")
    func sqliteTakesTheProcessWideSettings() throws {
        try withTemporaryDirectory { directory in
            _ = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            #expect(SQLiteLibrary.settingsApplied)
        }
    }

    @Test("A file the pool creates gets the configured page size, and a file made with another size keeps its own")
    func aNewFileGetsTheConfiguredPageSizeAndAnOldOneKeepsItsOwn() throws {
        try withTemporaryDirectory { directory in
            let fresh = directory.appendingPathComponent("fresh.sqlite").path
            let large = try DatabasePool(path: fresh, configuration: DatabaseConfiguration(pageSizeBytes: 16_384), migrator: counterMigrator)
            #expect(try large.read { try $0.pragmaInt("page_size") } == 16_384)

            let old = directory.appendingPathComponent("old.sqlite").path
            do {
                let small = try DatabasePool(path: old, configuration: DatabaseConfiguration(pageSizeBytes: 4_096), migrator: counterMigrator)
                try small.write { try $0.execute("INSERT INTO counter (id, value) VALUES (1, 1)") }
            }
            let reopened = try DatabasePool(path: old, configuration: DatabaseConfiguration(pageSizeBytes: 16_384), migrator: counterMigrator)
            #expect(try reopened.read { try $0.pragmaInt("page_size") } == 4_096)
            #expect(try reopened.read { try $0.prepare("SELECT value FROM counter WHERE id = 1").firstRow { $0.int64(at: 0) } } == 1)
        }
    }

    @Test("The default page size is 16 KiB, so that a row of a kilobyte or two does not leave a third of each page empty")
    func theDefaultPageSizeIsSixteenKibibytes() throws {
        #expect(DatabaseConfiguration().pageSizeBytes == 16_384)
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            #expect(try pool.read { try $0.pragmaInt("page_size") } == 16_384)
        }
    }

#if os(Linux)
    /// Bytes this thread has passed to write(2) and its kin (Linux's per-thread `wchar`).
    private static func threadWrittenBytes() throws -> Int {
        let text = try String(contentsOfFile: "/proc/thread-self/io", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("wchar:") })
        return try #require(Int(line.dropFirst("wchar:".count).trimmingCharacters(in: .whitespaces)))
    }

    @Test("A statement that changes far more than 64 KiB of stored pages inside a transaction journals them in memory, writing no temporary file")
    func aLargeStatementJournalStaysInMemory() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: Migrator([
                Migration(version: 1, name: "blobs") { connection in
                    // NOT NULL lets the UPDATE fail halfway, which is what makes SQLite
                    // journal the statement.
                    try connection.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
                },
            ]))
            try pool.write {
                try $0.execute("""
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
                    INSERT INTO blobs (id, body) SELECT i, zeroblob(2000) FROM n
                    """)
            }
            let written = try pool.write { connection in
                // A change before the statement: the transaction must be able to undo the
                // statement alone, so SQLite opens a statement journal for it.
                try connection.execute("INSERT INTO blobs (id, body) VALUES (1000, x'00')")
                let before = try Self.threadWrittenBytes()
                try connection.execute("UPDATE blobs SET body = zeroblob(2001) WHERE id < 1000")
                let after = try Self.threadWrittenBytes()
                return after - before
            }
            // 400 rows of 2 KB: every stored page of the table is journalled, some 800 KB
            // (twelve times the 64 KiB at which SQLite's default moves a journal to a file).
            #expect(written == 0, "the statement wrote \(written) bytes while it ran")
            #expect(try pool.read { try $0.prepare("SELECT count(*) FROM blobs WHERE length(body) = 2001").firstRow { $0.int64(at: 0) } } == 400)
        }
    }
#endif
}
