/// Settings for a ``DatabasePool``.
public struct DatabaseConfiguration: Sendable {
    /// How long a connection waits for a lock held by another connection (another process,
    /// or a checkpoint) before failing with ``DatabaseError/Code/busy``. Default 5000 ms.
    public var busyTimeoutMilliseconds: Int32

    /// The most read-only connections the pool opens; further readers wait for a free one.
    /// Must be at least 1. Default 4.
    public var maximumReaderCount: Int

    /// `true` (the default) for `PRAGMA synchronous=FULL`: the WAL is synced at every commit,
    /// so a write acknowledged to a client survives power loss. `false` selects `NORMAL`,
    /// which is still corruption-free in WAL mode but may lose the last commits on power
    /// loss; only for benchmarks and tests.
    public var synchronousFull: Bool

    /// The writer's page cache, in KiB. SQLite's default (2 MiB) makes a large database
    /// re-read index pages from the OS on every insert; default 64 MiB.
    public var writerCacheKibibytes: Int

    /// Each reader's page cache, in KiB; default 16 MiB. Pulls read records all over a
    /// large file, and the default 2 MiB sends nearly every page through a system call.
    public var readerCacheKibibytes: Int

    /// How much of the file readers map into memory, in bytes; default 1 GiB. Mapped
    /// pages are read without a system call and shared between readers through the
    /// operating system's cache. 0 turns mapping off.
    public var readerMmapBytes: Int

    /// `true` (the default) to copy the WAL into the database file on a background queue
    /// (``BackgroundCheckpointer``) rather than inside the commit that fills it, so that
    /// writes never wait for a checkpoint. `false` keeps SQLite's automatic checkpoint.
    public var checkpointsInBackground: Bool

    /// The page size, in bytes, of a database file this pool creates (a power of two from
    /// 512 to 65536); a file that exists keeps the size it was made with. Default 16 KiB, not
    /// SQLite's 4 KiB: a record's state is a kilobyte or two, and a 4 KiB page holds only two
    /// such rows, so a third of the file was empty space, written twice (into the WAL, then by
    /// the checkpoint) like the rest. With 16 KiB pages (and statement journals in memory) a
    /// device stored a pull of 100,000 records in 16.4 instead of 18.7 µs of CPU a record,
    /// half the system time, and 326 instead of 423 MB written.
    public var pageSizeBytes: Int

    /// Creates a configuration; every parameter has a production-safe default.
    public init(
        busyTimeoutMilliseconds: Int32 = 5000,
        maximumReaderCount: Int = 4,
        synchronousFull: Bool = true,
        writerCacheKibibytes: Int = 65_536,
        readerCacheKibibytes: Int = 16_384,
        readerMmapBytes: Int = 1 << 30,
        checkpointsInBackground: Bool = true,
        pageSizeBytes: Int = DatabaseConfiguration.defaultPageSizeBytes
    ) {
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.maximumReaderCount = maximumReaderCount
        self.synchronousFull = synchronousFull
        self.writerCacheKibibytes = writerCacheKibibytes
        self.readerCacheKibibytes = readerCacheKibibytes
        self.readerMmapBytes = readerMmapBytes
        self.checkpointsInBackground = checkpointsInBackground
        self.pageSizeBytes = pageSizeBytes
    }

    /// The default of ``pageSizeBytes``.
    public static let defaultPageSizeBytes = 16_384
}
