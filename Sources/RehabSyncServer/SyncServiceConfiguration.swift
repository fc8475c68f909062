/// Limits of the sync API, with defaults that suit a region's server.
public struct SyncServiceConfiguration: Sendable {
    /// Records in one push batch; more is refused with 413.
    public var maximumBatchRecords: Int
    /// Records in one pull page when the client does not say.
    public var defaultPageSize: Int
    /// The most records one pull page may hold.
    public var maximumPageSize: Int
    /// How far ahead of the server's clock a write's hybrid-clock time may be. A device
    /// whose clock runs far ahead would otherwise win every conflict's provisional value.
    public var maximumClockDriftMilliseconds: Int64
    /// The most stored state one pull page carries, in bytes (the first record always goes,
    /// however large). Bounds what a page costs in memory while a slow client reads it.
    /// Default 4 MiB.
    public var maximumPageBytes: Int

    public init(maximumBatchRecords: Int = 1_000, defaultPageSize: Int = 500, maximumPageSize: Int = 5_000,
                maximumClockDriftMilliseconds: Int64 = 10 * 60 * 1_000, maximumPageBytes: Int = 4 * 1_048_576) {
        self.maximumBatchRecords = maximumBatchRecords
        self.defaultPageSize = defaultPageSize
        self.maximumPageSize = maximumPageSize
        self.maximumClockDriftMilliseconds = maximumClockDriftMilliseconds
        self.maximumPageBytes = maximumPageBytes
    }
}
