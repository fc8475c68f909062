import Dispatch
import Foundation
import Testing
import RehabSyncStorage

struct DatabasePoolTests {
    @Test func opensInWALModeWithFullSynchronousAndForeignKeys() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            let readerMode = try pool.read { try $0.pragmaText("journal_mode") }
            #expect(readerMode == "wal")
            let (writerMode, synchronous, foreignKeys) = try pool.writeWithoutTransaction {
                (try $0.pragmaText("journal_mode"), try $0.pragmaInt("synchronous"),
                 try $0.pragmaInt("foreign_keys"))
            }
            #expect(writerMode == "wal")
            #expect(synchronous == 2)  // FULL
            #expect(foreignKeys == 1)
        }
    }

    @Test("A write deferring its sync commits with synchronous=NORMAL, and every other write, after it or after its failure, is FULL again")
    func aDeferredSyncWriteIsNormalOnlyForItself() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            let inside = try pool.writeDeferringSync { connection in
                try connection.execute("INSERT INTO counter (id, value) VALUES (1, 1)")
                return try connection.pragmaInt("synchronous")
            }
            #expect(inside == 1)  // NORMAL
            #expect(try pool.write { try $0.pragmaInt("synchronous") } == 2)
            #expect(throws: DeliberateFailure()) {
                try pool.writeDeferringSync { _ -> Int in throw DeliberateFailure() }
            }
            #expect(try pool.write { try $0.pragmaInt("synchronous") } == 2)
            #expect(try pool.writeWithoutTransaction { try $0.pragmaInt("synchronous") } == 2)
            #expect(try pool.read { try $0.prepare("SELECT value FROM counter WHERE id = 1").firstRow { $0.int64(at: 0) } } == 1)
        }
    }

    @Test func writeThatThrowsRollsBackAndRethrowsItsError() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            #expect(throws: DeliberateFailure()) {
                try pool.write { connection in
                    try connection.execute("INSERT INTO counter (id, value) VALUES (1, 1)")
                    try connection.execute("INSERT INTO counter (id, value) VALUES (2, 2)")
                    throw DeliberateFailure()
                }
            }
            let rows = try pool.read {
                try $0.prepare("SELECT count(*) FROM counter").firstRow { $0.int64(at: 0) }
            }
            #expect(rows == 0)
        }
    }

    @Test func writeRethrowsTheFirstErrorEvenWhenRollbackCannotRun() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            // The body ends the transaction itself, so the pool's ROLLBACK has nothing to
            // roll back; the caller must still see the body's error, not a rollback error.
            #expect(throws: DeliberateFailure()) {
                try pool.write { connection in
                    try connection.execute("INSERT INTO counter (id, value) VALUES (1, 1)")
                    try connection.execute("ROLLBACK")
                    throw DeliberateFailure()
                }
            }
            // A failing statement's error is the one reported, and earlier work is undone.
            let error = #expect(throws: DatabaseError.self) {
                try pool.write { connection in
                    try connection.execute("INSERT INTO counter (id, value) VALUES (1, 1)")
                    try connection.execute("INSERT INTO counter (id, value) VALUES (1, 1)")
                }
            }
            #expect(error?.resultCode == DatabaseError.Code.constraint)
            #expect(error?.extendedResultCode == 1555)  // SQLITE_CONSTRAINT_PRIMARYKEY
            // The writer is usable afterwards.
            try pool.write { try $0.execute("INSERT INTO counter (id, value) VALUES (1, 7)") }
            #expect(try pool.read { try counterValue($0) } == 7)
        }
    }

    @Test func readerCannotWrite() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            let error = #expect(throws: DatabaseError.self) {
                try pool.read { try $0.execute("INSERT INTO counter (id, value) VALUES (1, 1)") }
            }
            #expect(error?.resultCode == DatabaseError.Code.readOnly)
            // The failed reader went back to the pool in a usable state.
            #expect(try pool.read { try counterValue($0) } == nil)
        }
    }

    @Test func readerSeesOneSnapshotWhileAWriteCommits() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory), migrator: counterMigrator)
            try pool.write { try $0.execute("INSERT INTO counter (id, value) VALUES (1, 1)") }

            let (before, after) = try pool.read { connection -> (Int64?, Int64?) in
                let before = try counterValue(connection)
                // The writer is not blocked by the open read transaction (WAL).
                try runOnAnotherThread {
                    try pool.write { try $0.execute("UPDATE counter SET value = 2 WHERE id = 1") }
                }
                return (before, try counterValue(connection))
            }
            #expect(before == 1)
            #expect(after == 1)
            #expect(try pool.read { try counterValue($0) } == 2)
        }
    }

    @Test func concurrentReadsShareABoundedPoolOfReaders() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(
                path: databasePath(in: directory),
                configuration: DatabaseConfiguration(maximumReaderCount: 2),
                migrator: counterMigrator)
            try pool.write { try $0.execute("INSERT INTO counter (id, value) VALUES (1, 42)") }
            let failures = CallCounter()
            // Each read waits inside its body until a second read is in too (or a deadline
            // passes), so the pool is full while more reads ask for a connection.
            let inside = ReadersInside()
            DispatchQueue.concurrentPerform(iterations: 16) { _ in
                do {
                    let value = try pool.read { connection in
                        inside.enterAndWaitForCompany(deadline: Date().addingTimeInterval(5))
                        defer { inside.leave() }
                        return try counterValue(connection)
                    }
                    if value != 42 { failures.increment() }
                } catch {
                    failures.increment()
                }
            }
            #expect(failures.value == 0)
            #expect(inside.most == 2, "at most \(inside.most) reads were inside at once; the bound is 2")
        }
    }

    @Test func theWALIsCopiedIntoTheDatabaseFileWithoutTheWriterCheckpointing() throws {
        try withTemporaryDirectory { directory in
            let path = databasePath(in: directory)
            let pool = try DatabasePool(path: path, migrator: Migrator([
                Migration(version: 1, name: "blobs") { try $0.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") },
            ]))
            // The hook has replaced the writer's automatic checkpoint, which SQLite reports as 0.
            #expect(try pool.write { try $0.pragmaInt("wal_autocheckpoint") } == 0)
            // About 4,000 pages over 40 commits: four times the checkpoint threshold.
            let blob = [UInt8](repeating: 7, count: 4_000)
            for _ in 0..<40 {
                try pool.write { connection in
                    for _ in 0..<100 { try connection.cachedStatement("INSERT INTO blobs (data) VALUES (?)").execute([.blob(blob)]) }
                }
            }
            // The background queue copies pages into the main file; nothing else would, as
            // the writer's automatic checkpoint is replaced by the hook.
            let deadline = Date().addingTimeInterval(30)
            var databaseSize = 0
            while databaseSize < 8_000_000, Date() < deadline {
                databaseSize = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(databaseSize >= 8_000_000)
            #expect(try pool.read { try $0.prepare("SELECT count(*) FROM blobs").firstRow { $0.int64(at: 0) } } == 4_000)
        }
    }

    @Test func sqliteKeepsItsOwnCheckpointWhenAsked() throws {
        try withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: databasePath(in: directory),
                                        configuration: DatabaseConfiguration(checkpointsInBackground: false), migrator: counterMigrator)
            #expect(try pool.write { try $0.pragmaInt("wal_autocheckpoint") } == 1_000)
        }
    }

    @Test func checkpointTruncatesTheWAL() throws {
        try withTemporaryDirectory { directory in
            let path = databasePath(in: directory)
            let pool = try DatabasePool(path: path, migrator: counterMigrator)
            try pool.write { try $0.execute("INSERT INTO counter (id, value) VALUES (1, 1)") }
            _ = try pool.read { try counterValue($0) }
            try pool.checkpoint()
            let walSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size]
            #expect((walSize as? NSNumber)?.intValue == 0)
            #expect(try pool.read { try counterValue($0) } == 1)
        }
    }
}

/// Counts reads inside a pool's read body at once and remembers the most.
final class ReadersInside: @unchecked Sendable {
    // @unchecked: every stored var is touched only under `condition`.
    private let condition = NSCondition()
    private var current = 0
    private var mostSeen = 0

    var most: Int { condition.withLock { mostSeen } }

    /// Enters, then, until two reads have been inside at once, waits for another to come
    /// in or for `deadline`.
    func enterAndWaitForCompany(deadline: Date) {
        condition.lock()
        defer { condition.unlock() }
        current += 1
        mostSeen = max(mostSeen, current)
        condition.broadcast()
        while mostSeen < 2, condition.wait(until: deadline) {}
    }

    func leave() {
        condition.withLock { current -= 1 }
    }
}
