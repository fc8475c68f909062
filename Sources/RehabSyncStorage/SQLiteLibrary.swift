internal import CSQLite

/// Process-wide settings of the SQLite library, which SQLite takes only before its first
/// connection opens: every open in this module calls ``configureOnce()`` first.
public enum SQLiteLibrary {
    /// How large a statement journal grows in memory before SQLite moves it to a temporary
    /// file. SQLite's default is 64 KiB.
    ///
    /// A statement journal keeps the earlier content of every page that one statement
    /// changes inside a larger transaction, so that the statement alone can be undone: the
    /// multi-row inserts of a pushed batch and of a pulled page rely on that to fail whole
    /// when a record exists already. Past 64 KiB, a few pages, SQLite wrote it to a file
    /// under /var/tmp and read it back on every such statement: a push of 22,000 records
    /// wrote 60 MB of temporary files beside 42 MB of WAL. Held in memory up to this size,
    /// ordinary statements never touch a file; a statement that rewrites a large table (a
    /// migration) still spills past it, so memory stays bounded.
    static let statementJournalSpillBytes: Int32 = 16 << 20

    /// Applies the settings once per process, before the first connection: SQLite refuses
    /// them (`SQLITE_MISUSE`) once it is initialised. Nothing else in the process opens
    /// SQLite before this module does; if something had, the settings would be refused and
    /// SQLite's defaults, which are only slower, stay in effect.
    static func configureOnce() {
        _ = configured
    }

    /// Whether SQLite took the settings (it refuses them once it has been initialised by
    /// other code in the process); without them SQLite's defaults, which are only slower,
    /// stay in effect. The server logs a warning when it is false.
    public static var settingsApplied: Bool {
        configured
    }

    private static let configured: Bool = {
        // No memory statistics: SQLite keeps them under one mutex for the whole process,
        // taken on every allocation by every connection (about 1,000 instructions a pushed
        // record), and nothing here reads them or sets a heap limit, which needs them.
        let statistics = rehabsync_sqlite_config_memory_statistics(0)
        let journal = rehabsync_sqlite_config_statement_journal_spill(statementJournalSpillBytes)
        return statistics == SQLITE_OK && journal == SQLITE_OK
    }()
}
