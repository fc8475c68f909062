import Foundation
import RehabSyncStorage
import Synchronization
import Testing

/// Online backups: one consistent snapshot while the writer keeps committing.
struct DatabaseBackupTests {
    /// Each write adds a row and sets the tally to the row count in one transaction, so a
    /// copy is consistent exactly when its tally equals its rows.
    static let tallyMigrator = Migrator([
        Migration(version: 1, name: "rows and tally") { connection in
            try connection.execute("""
                CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
                CREATE TABLE tally (singleton INTEGER PRIMARY KEY, count INTEGER NOT NULL);
                INSERT INTO tally VALUES (1, 0);
                """)
        },
    ])

    static func write(_ pool: DatabasePool, rows: Int) throws {
        try pool.write { connection in
            let insert = try connection.prepare("INSERT INTO rows (payload) VALUES (?)")
            for _ in 0..<rows {
                try insert.bind([UInt8](repeating: 0x5A, count: 512), at: 1)
                try insert.execute()
                insert.reset()
            }
            try connection.execute("UPDATE tally SET count = (SELECT count(*) FROM rows)")
        }
    }

    static func counts(_ path: String) throws -> (rows: Int64, tally: Int64) {
        let connection = try Connection(path: path, readOnly: true, busyTimeoutMilliseconds: 1_000)
        let rows = try connection.prepare("SELECT count(*) FROM rows").firstRow(nil) { $0.int64(at: 0) } ?? -1
        let tally = try connection.prepare("SELECT count FROM tally").firstRow(nil) { $0.int64(at: 0) } ?? -2
        return (rows, tally)
    }

    @Test func copiesTakenWhileTheWriterCommitsAreEachOneConsistentSnapshot() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: Self.tallyMigrator)
            // About 10 MB, so that a copy takes long enough for commits to land meanwhile.
            for _ in 0..<20 { try Self.write(pool, rows: 1_000) }
            let stop = Atomic<Bool>(false)
            let commits = Atomic<Int>(0)
            let finished = DispatchSemaphore(value: 0)
            Thread {
                while !stop.load(ordering: .acquiring) {
                    if (try? Self.write(pool, rows: 10)) != nil { commits.add(1, ordering: .releasing) }
                }
                finished.signal()
            }.start()
            var committedDuringCopies = 0
            for index in 0..<4 {
                let before = commits.load(ordering: .acquiring)
                let copy = directory.appendingPathComponent("copy-\(index).sqlite").path
                let summary = try DatabaseBackup.copy(from: databasePath(in: directory), to: copy)
                committedDuringCopies += commits.load(ordering: .acquiring) - before
                let (rows, tally) = try Self.counts(copy)
                #expect(rows == tally, "copy \(index) mixes two moments: \(rows) rows, tally \(tally)")
                #expect(rows >= 20_000)
                #expect(summary.bytes > 10_000_000)
                #expect(!FileManager.default.fileExists(atPath: copy + "-wal"), "the copy stands alone")
            }
            stop.store(true, ordering: .releasing)
            #expect(finished.wait(timeout: .now() + 30) == .success)
            #expect(committedDuringCopies > 0, "the writer kept committing while copies were taken")
        }
    }

    @Test func aBackupNeverOverwritesAnExistingFile() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: Self.tallyMigrator)
            try Self.write(pool, rows: 1)
            let copy = directory.appendingPathComponent("copy.sqlite").path
            try Data("precious".utf8).write(to: URL(fileURLWithPath: copy))
            #expect(throws: DatabaseError.self) { try DatabaseBackup.copy(from: databasePath(in: directory), to: copy) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data("precious".utf8))
        }
    }

    @Test("A backup reports the pages it has copied step by step, rising to the snapshot's total, while the writer commits")
    func aBackupReportsItsProgress() throws {
        try withTemporaryDirectory { directory in
            // Small pages: the copy goes a fixed number of pages a step, and the test wants
            // several steps from a small file.
            let pool = try DatabasePool(path: databasePath(in: directory), configuration: DatabaseConfiguration(pageSizeBytes: 4_096),
                                        migrator: Self.tallyMigrator)
            for _ in 0..<10 { try Self.write(pool, rows: 1_000) }
            let copy = directory.appendingPathComponent("copy.sqlite").path
            var reports: [(done: Int, total: Int)] = []
            let summary = try DatabaseBackup.copy(from: databasePath(in: directory), to: copy) { done, total in
                reports.append((done, total))
                // A commit between two steps must not restart the copy or change its snapshot.
                if reports.count == 2 { try? Self.write(pool, rows: 500) }
            }
            #expect(reports.count > 2, "\(reports.count) reports")
            #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.done < $1.done && $0.total == $1.total })
            #expect(reports.last?.done == summary.pages && reports.last?.total == summary.pages)
            let (rows, tally) = try Self.counts(copy)
            #expect(rows == 10_000 && tally == 10_000)
        }
    }
}
