import Foundation
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage

/// `rehabsync admin backup` and `admin restore`. Unlike the other admin commands they do
/// not call the server: they work on the data directory's files, as the server's own
/// user on the server's machine (the files are owner-only).
///
/// A backup opens the database read-only beside the running server and copies it with
/// SQLite's backup API: one snapshot, taken while syncs go on, never sent through HTTP
/// (a region's database outgrows any response body), and possible when the HTTP side is
/// the thing that is broken.
enum AdminBackupCommand {
    static func backup(_ arguments: Arguments, environment: [String: String]) throws {
        guard let destination = arguments.value("to") else { throw CommandFailure.usage("backup needs --to FILE") }
        let database = databasePath(arguments, environment: environment)
        try DatabaseGuard.require(.server, at: database)
        let progress = ProgressWriter(task: "backup", unit: "pages", quiet: arguments.has("quiet"))
        do {
            let summary = try DatabaseBackup.copy(from: database, to: destination) { progress.update(done: $0, total: $1) }
            progress.finish(detail: ", \(summary.bytes) bytes to \(destination)")
            print(JSONValue.object([
                "backup": .string(destination), "bytes": .integer(Int64(summary.bytes)), "pages": .integer(Int64(summary.pages)),
            ]).canonicalText)
        } catch let error as DatabaseError {
            progress.abandon()
            throw CommandFailure.failed("backup failed: \(error)")
        }
    }

    /// Puts a backup in place of the data directory's database. The server must be
    /// stopped (the data directory's lock says whether it is). The database found there
    /// is kept beside it, renamed, never deleted.
    static func restore(_ arguments: Arguments, environment: [String: String]) throws {
        guard let source = arguments.value("from") else { throw CommandFailure.usage("restore needs --from FILE") }
        try DatabaseGuard.require(.server, at: source)
        let directory = dataDirectory(arguments, environment: environment)
        let database = databasePath(arguments, environment: environment)
        let lock: DataDirectoryLock
        do {
            try OwnerOnlyFiles.createDirectory(atPath: directory)
            lock = try DataDirectoryLock(directory: directory)
        } catch {
            throw CommandFailure.failed("cannot restore: \(error)")
        }
        defer { lock.release() }
        do {
            let stamp = Int64(Date().timeIntervalSince1970 * 1_000)
            var keptAside: String?
            if FileManager.default.fileExists(atPath: database) {
                let aside = "\(database).before-restore-\(stamp)"
                for (from, to) in zip(OwnerOnlyFiles.databaseFiles(database), OwnerOnlyFiles.databaseFiles(aside))
                where FileManager.default.fileExists(atPath: from) {
                    try FileManager.default.moveItem(atPath: from, toPath: to)
                }
                keptAside = aside
            }
            _ = try DatabaseBackup.copy(from: source, to: database)
            let mark = try RecordStore.markRestored(path: database, sequenceFloor: RecordStore.sequenceFloor(unixMilliseconds: stamp))
            print(JSONValue.object([
                "restored": .string(database), "from": .string(source), "replicaId": .string(mark.replicaID.description),
                "sequence": .integer(mark.sequence), "keptAside": keptAside.map(JSONValue.string) ?? .null,
            ]).canonicalText)
        } catch let error as DatabaseError {
            throw CommandFailure.failed("restore failed: \(error)")
        }
    }

    private static func dataDirectory(_ arguments: Arguments, environment: [String: String]) -> String {
        arguments.value("data-dir") ?? environment["REHABSYNC_DATA_DIR"] ?? "./data"
    }

    private static func databasePath(_ arguments: Arguments, environment: [String: String]) -> String {
        var settings = ServerSettings()
        settings.dataDirectory = dataDirectory(arguments, environment: environment)
        return settings.databasePath
    }
}
