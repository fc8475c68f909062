internal import CSQLite
import Foundation

/// What a file is, as far as RehabSync is concerned, found without changing it.
public enum DatabaseKind: Equatable, Sendable {
    /// No file at the path.
    case missing
    /// A file that is not a SQLite database (an empty file included).
    case notSQLite
    /// A SQLite database without RehabSync's tables.
    case foreignSQLite
    /// A device replica (it has `sync_settings`), at this schema version.
    case replica(version: Int64)
    /// The sync server's database (it has `devices` and `audit`), at this schema version.
    case server(version: Int64)

    /// The kind in words, for messages such as "FILE is a RehabSync server database".
    public var description: String {
        switch self {
        case .missing: "missing"
        case .notSQLite: "not a SQLite database"
        case .foreignSQLite: "a SQLite database that is not RehabSync's"
        case .replica(let version): "a RehabSync replica (schema version \(version))"
        case .server(let version): "a RehabSync server database (schema version \(version))"
        }
    }
}

/// Tells what a database file is before a command opens it for writing: a command given
/// the wrong file must refuse it untouched, and an ordinary open already migrates it.
public enum DatabaseInspection {
    /// The SQLite header every database file starts with.
    private static let header = Array("SQLite format 3\u{0}".utf8)

    /// Inspects `path` read-only. Neither the file nor its `-wal`/`-shm` companions are
    /// created or changed: a file with no WAL beside it is opened `immutable`, since even a
    /// read-only open would leave `-wal` and `-shm` files behind.
    ///
    /// - Throws: ``DatabaseError`` when the file is a SQLite database that cannot be read.
    public static func inspect(path: String) throws -> DatabaseKind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        guard !isDirectory.boolValue, let file = FileHandle(forReadingAtPath: path) else { return .notSQLite }
        let start = (try? file.read(upToCount: header.count)) ?? nil
        try? file.close()
        guard let start, Array(start) == header else { return .notSQLite }

        let companions = OwnerOnlyFiles.databaseFiles(path).dropFirst()
        let live = companions.allSatisfy { FileManager.default.fileExists(atPath: $0) }
        let uri = "file:\(escaped(path))?mode=ro" + (live ? "" : "&immutable=1")
        var handle: OpaquePointer?
        SQLiteLibrary.configureOnce()
        let code = sqlite3_open_v2(uri, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(handle) }
        guard code == SQLITE_OK, let handle else {
            throw DatabaseError(code: code, connection: handle, sql: nil)
        }
        sqlite3_busy_timeout(handle, 5_000)
        let tables = Set(try strings(handle, "SELECT name FROM sqlite_master WHERE type = 'table'"))
        let version = Int64(try strings(handle, "PRAGMA user_version").first ?? "0") ?? 0
        if tables.contains("sync_settings") { return .replica(version: version) }
        if tables.isSuperset(of: ["devices", "audit"]) { return .server(version: version) }
        return .foreignSQLite
    }

    /// A path as a `file:` URI's path: the characters a URI gives meaning to are escaped.
    private static func escaped(_ path: String) -> String {
        var text = ""
        for character in path {
            switch character {
            case "%": text += "%25"
            case "?": text += "%3F"
            case "#": text += "%23"
            default: text.append(character)
            }
        }
        return text
    }

    /// The first column of every row of `sql`, as text.
    private static func strings(_ handle: OpaquePointer, _ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        guard prepared == SQLITE_OK, let statement else { throw DatabaseError(code: prepared, connection: handle, sql: sql) }
        var rows: [String] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw DatabaseError(code: step, connection: handle, sql: sql) }
            rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
        }
    }
}
