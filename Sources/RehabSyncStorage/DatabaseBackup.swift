internal import CSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Consistent copies of a live database with SQLite's online backup API, and the marks a
/// restored record database needs before it serves again.
public enum DatabaseBackup {
    /// What a copy holds.
    public struct Summary: Sendable, Hashable {
        /// Pages copied.
        public let pages: Int
        /// The file's size in bytes.
        public let bytes: Int
    }

    /// How often a copy starts again when the source stays locked (only a writer in the
    /// middle of changing the schema, or a rollback-journal source, holds it off).
    static let attempts = 50

    /// Pages copied per step between two progress reports: 4 MiB of the 16 KiB pages a file
    /// gets now (1 MiB of an older file's 4 KiB pages), small enough to report a few times
    /// a second, large enough that the steps cost nothing.
    static let pagesPerStep: Int32 = 256

    /// Copies `source` to a new file at `destination` while other connections, in this
    /// process or another, keep reading and writing the source.
    ///
    /// The copy reads one snapshot of the source: the source connection holds one WAL read
    /// transaction (which never blocks the writer) across every step, so the steps that
    /// let `progress` be called never see the source change, and never start over as a
    /// stepwise copy of a changing source would under steady syncs. The copy is
    /// left in rollback-journal mode, so it is one self-contained file, mode 0600, and
    /// SQLite's `integrity_check` has passed over it before this returns.
    ///
    /// - Parameter progress: Called after each step with the pages copied so far and the
    ///   pages in the snapshot, on the calling thread.
    /// - Throws: ``DatabaseError`` if `destination` exists, either file cannot be opened,
    ///   or the copy fails its check (the partial file is removed).
    public static func copy(from source: String, to destination: String,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> Summary {
        guard access(destination, F_OK) != 0 else {
            throw DatabaseError(extendedResultCode: DatabaseError.Code.cannotOpen,
                                message: "\(destination) exists; a backup never overwrites a file")
        }
        let reader = try Connection(path: source, readOnly: true, busyTimeoutMilliseconds: 5_000)
        do {
            let writer = try Connection(path: destination, readOnly: false, busyTimeoutMilliseconds: 5_000)
            let pages = try copyPages(from: reader, to: writer, progress: progress)
            // The source's header says WAL; the copy should stand alone without a -wal file.
            try writer.execute("PRAGMA journal_mode=DELETE")
            let check = try writer.pragmaText("integrity_check")
            guard check == "ok" else {
                throw DatabaseError(extendedResultCode: DatabaseError.Code.error,
                                    message: "the copy of \(source) failed its integrity check: \(check ?? "no answer")")
            }
            var status = stat()
            let bytes = stat(destination, &status) == 0 ? Int(status.st_size) : 0
            return Summary(pages: pages, bytes: bytes)
        } catch {
            for path in OwnerOnlyFiles.databaseFiles(destination) + [destination + "-journal"] { unlink(path) }
            throw error
        }
    }

    private static func copyPages(from reader: Connection, to writer: Connection,
                                  progress: ((_ done: Int, _ total: Int) -> Void)?) throws -> Int {
        for _ in 0..<attempts {
            // The read transaction starts at the first read; it pins the snapshot every step reads.
            try reader.execute("BEGIN; SELECT count(*) FROM sqlite_master")
            defer { _ = try? reader.execute("COMMIT") }
            guard let backup = sqlite3_backup_init(writer.handle, "main", reader.handle, "main") else {
                throw DatabaseError(code: sqlite3_errcode(writer.handle), connection: writer.handle, sql: nil)
            }
            var step = SQLITE_OK
            while step == SQLITE_OK {
                step = sqlite3_backup_step(backup, pagesPerStep)
                let total = Int(sqlite3_backup_pagecount(backup))
                if step == SQLITE_OK || step == SQLITE_DONE {
                    progress?(total - Int(sqlite3_backup_remaining(backup)), total)
                }
            }
            let pages = Int(sqlite3_backup_pagecount(backup))
            let finish = sqlite3_backup_finish(backup)
            switch step {
            case SQLITE_DONE:
                guard finish == SQLITE_OK else { throw DatabaseError(code: finish, connection: writer.handle, sql: nil) }
                return pages
            case SQLITE_BUSY, SQLITE_LOCKED:
                // Locked (the destination, or a source changing its schema); the snapshot is
                // retaken on the next attempt.
                usleep(20_000)
            default:
                throw DatabaseError(code: step, connection: writer.handle, sql: nil)
            }
        }
        throw DatabaseError(extendedResultCode: DatabaseError.Code.busy,
                            message: "the source stayed locked through \(attempts) attempts to copy it")
    }
}
