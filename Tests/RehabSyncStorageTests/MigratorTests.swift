import Testing
import RehabSyncStorage

struct MigratorTests {
    /// Two migrations that count their runs.
    private func countingMigrator(_ counter: CallCounter) -> Migrator {
        Migrator([
            Migration(version: 1, name: "create note") { connection in
                counter.increment()
                try connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
            },
            Migration(version: 2, name: "add author") { connection in
                counter.increment()
                try connection.execute("ALTER TABLE note ADD COLUMN author TEXT")
            },
        ])
    }

    @Test func migrationsRunOnceAndSetUserVersion() throws {
        try withTemporaryDirectory { directory in
            let path = databasePath(in: directory)
            let counter = CallCounter()
            do {
                let pool = try DatabasePool(path: path, migrator: countingMigrator(counter))
                #expect(try pool.read { try $0.pragmaInt("user_version") } == 2)
                try pool.write {
                    try $0.execute("INSERT INTO note (id, body, author) VALUES (1, 'x', 'y')")
                }
            }
            #expect(counter.value == 2)

            let reopened = try DatabasePool(path: path, migrator: countingMigrator(counter))
            #expect(counter.value == 2)
            #expect(try reopened.read { try $0.pragmaInt("user_version") } == 2)
        }
    }

    @Test func onlyPendingMigrationsRunAfterAnUpgrade() throws {
        try withTemporaryDirectory { directory in
            let path = databasePath(in: directory)
            let counter = CallCounter()
            let full = countingMigrator(counter)
            _ = try DatabasePool(path: path, migrator: Migrator([full.migrations[0]]))
            #expect(counter.value == 1)
            let pool = try DatabasePool(path: path, migrator: full)
            #expect(counter.value == 2)
            #expect(try pool.read { try $0.pragmaInt("user_version") } == 2)
        }
    }

    @Test func failedMigrationLeavesTheVersionUnchanged() throws {
        try withTemporaryDirectory { directory in
            let path = databasePath(in: directory)
            let failing = Migrator([
                Migration(version: 1, name: "half done") { connection in
                    try connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY)")
                    throw DeliberateFailure()
                },
            ])
            #expect(throws: DeliberateFailure()) {
                _ = try DatabasePool(path: path, migrator: failing)
            }
            // The table from the failed migration was rolled back with it.
            let pool = try DatabasePool(path: path, migrator: countingMigrator(CallCounter()))
            #expect(try pool.read { try $0.pragmaInt("user_version") } == 2)
        }
    }

    @Test func databaseWithNewerUserVersionIsRefused() throws {
        try withTemporaryDirectory { directory in
            let path = databasePath(in: directory)
            do {
                let pool = try DatabasePool(path: path, migrator: countingMigrator(CallCounter()))
                try pool.writeWithoutTransaction { try $0.execute("PRAGMA user_version = 9") }
            }
            let counter = CallCounter()
            let error = #expect(throws: DatabaseError.self) {
                _ = try DatabasePool(path: path, migrator: countingMigrator(counter))
            }
            #expect(error?.message.contains("newer RehabSync") == true)
            #expect(counter.value == 0)
        }
    }
}
