/// One step of the schema's history, identified by the `PRAGMA user_version` it produces.
public struct Migration: Sendable {
    /// The schema version after this migration; positive, and higher than the previous one.
    public let version: Int32
    /// A short name for logs and error messages, such as `"create records"`.
    public let name: String
    /// Applies the change. Runs inside the migration's transaction: do not begin or commit.
    public let apply: @Sendable (Connection) throws -> Void

    /// Creates a migration.
    ///
    /// - Parameters:
    ///   - version: The schema version after this migration.
    ///   - name: A short description.
    ///   - apply: The change, run in an immediate transaction together with the version bump.
    public init(
        version: Int32, name: String, apply: @escaping @Sendable (Connection) throws -> Void
    ) {
        self.version = version
        self.name = name
        self.apply = apply
    }
}

/// Brings a database's schema up to date, using `PRAGMA user_version` as the record of which
/// migrations have run.
///
/// Each pending migration runs with its version bump in one `BEGIN IMMEDIATE` transaction, so
/// a crash leaves the database either before or after a migration, never half-way. The
/// version is read again inside that transaction, so two processes migrating the same file
/// do not apply a migration twice.
public struct Migrator: Sendable {
    /// The migrations, oldest first.
    public let migrations: [Migration]

    /// Creates a migrator.
    ///
    /// - Parameter migrations: Oldest first. Versions must be positive and strictly increasing
    ///   (a broken order is a programmer error and stops the process).
    public init(_ migrations: [Migration]) {
        var previous: Int32 = 0
        for migration in migrations {
            precondition(
                migration.version > previous,
                "migration versions must start at 1 and increase strictly: \"\(migration.name)\" "
                    + "has version \(migration.version) after version \(previous)")
            previous = migration.version
        }
        self.migrations = migrations
    }

    /// The schema version the newest known migration produces; 0 when there are none.
    public var newestVersion: Int32 {
        migrations.last?.version ?? 0
    }

    /// Applies every migration newer than the database's `user_version`.
    ///
    /// - Throws: A ``DatabaseError`` if the file's version is newer than ``newestVersion``
    ///   (it was written by a newer RehabSync, whose data this build must not touch), or the
    ///   first error of a failed migration, which is then rolled back.
    public func migrate(_ connection: Connection) throws {
        // Checked before any migration runs, and again inside each transaction below.
        try refuseNewerSchema(try currentVersion(connection))
        for migration in migrations {
            try connection.inTransaction(.immediate) {
                let current = try currentVersion(connection)
                try refuseNewerSchema(current)
                guard current < migration.version else { return }
                try migration.apply(connection)
                // user_version lives in the database header and is part of the transaction.
                // Interpolation is safe: it is an Int32 of our own.
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    private func currentVersion(_ connection: Connection) throws -> Int64 {
        // user_version always returns a row; a missing one would mean a broken SQLite.
        try connection.pragmaInt("user_version") ?? 0
    }

    private func refuseNewerSchema(_ version: Int64) throws {
        guard version <= Int64(newestVersion) else {
            throw DatabaseError(
                extendedResultCode: DatabaseError.Code.error,
                message: "database was written by a newer RehabSync: schema version \(version), "
                    + "this build knows versions up to \(newestVersion); refusing to open it")
        }
    }
}
