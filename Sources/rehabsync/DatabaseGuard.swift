import RehabSyncReplica
import RehabSyncServer
import RehabSyncStorage

/// Checks, read-only, that a file is the RehabSync database a command needs before the
/// command opens it: opening migrates, so the wrong file given by mistake (the server's
/// database to a replica command, any other SQLite file) would otherwise be changed.
enum DatabaseGuard {
    /// The database a command wants.
    enum Need {
        /// A device replica; replica commands migrate an older one, as they always have.
        case replica
        /// The server's database at a version this build knows (a backup or a restore).
        case server
        /// What `serve` opens: the server's database at a version this build knows, which
        /// it migrates, or no file yet, which it creates.
        case serverOrNone
        /// The server's database exactly as this build's server left it: only the server
        /// creates or migrates it, so a command working beside it opens nothing older.
        case currentServer
    }

    /// Refuses any file at `path`, saying what it is: `replica init` creates a replica and
    /// never opens an existing file.
    static func requireAbsent(_ path: String) throws {
        let kind = try inspect(path)
        guard kind == .missing else {
            throw CommandFailure.failed("\(path) exists and is \(kind.description); init creates a new replica and never "
                + "opens an existing file (nothing was changed)")
        }
    }

    /// Refuses `path` with a message saying what it is, unless it is what `need` names.
    static func require(_ need: Need, at path: String) throws {
        let kind = try inspect(path)
        switch (need, kind) {
        case (.replica, .replica(let version)):
            try refuseNewer(path, version: version, known: Replica.schemaVersion, what: "replica")
        case (.serverOrNone, .missing):
            return
        case (.server, .server(let version)), (.serverOrNone, .server(let version)):
            try refuseNewer(path, version: version, known: SyncService.schemaVersion, what: "server database")
        case (.currentServer, .server(let version)):
            try refuseNewer(path, version: version, known: SyncService.schemaVersion, what: "server database")
            guard version == Int64(SyncService.schemaVersion) else {
                throw CommandFailure.failed("\(path) is a RehabSync server database at schema version \(version), older than this "
                    + "build's \(SyncService.schemaVersion); start 'rehabsync serve' once to migrate it (nothing was changed)")
            }
        case (.replica, .missing):
            throw CommandFailure.failed("no replica at \(path); create one with 'rehabsync replica init'")
        case (_, .missing):
            throw CommandFailure.failed("no server database at \(path); point --data-dir (or REHABSYNC_DATA_DIR) at the "
                + "server's data directory")
        case (.replica, _):
            throw CommandFailure.failed("\(path) is \(kind.description), not a replica; nothing was changed")
        case (_, _):
            throw CommandFailure.failed("\(path) is \(kind.description), not a RehabSync server database; nothing was changed")
        }
    }

    private static func inspect(_ path: String) throws -> DatabaseKind {
        do {
            return try DatabaseInspection.inspect(path: path)
        } catch {
            throw CommandFailure.failed("\(path) is not a readable SQLite database (\(error)); nothing was changed")
        }
    }

    private static func refuseNewer(_ path: String, version: Int64, known: Int32, what: String) throws {
        guard version <= Int64(known) else {
            throw CommandFailure.failed("\(path) is a RehabSync \(what) at schema version \(version), written by a newer "
                + "RehabSync (this build knows up to \(known)); nothing was changed")
        }
    }
}
