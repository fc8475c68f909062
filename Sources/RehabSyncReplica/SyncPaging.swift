/// How a replica's sync splits its work: records and bytes per push batch, records per
/// pull page, and a hook that sees every pull page inside the transaction that stores it.
///
/// The defaults are the ones a device uses. Tests make the sizes small, so that a few
/// records cross several batches and pages, and use the hook to interrupt a sync between
/// pages or inside one.
public struct SyncPaging: Sendable {
    /// Records pushed per request.
    public var pushBatchRecords: Int
    /// Bytes a push body may carry, below the server's body limit; a record that alone
    /// needs more is set aside with `record_too_large`.
    public var pushBatchBytes: Int
    /// Records asked for per pull page.
    public var pullPageRecords: Int
    /// Called inside each pull page's transaction, after the page is joined and the
    /// cursor moved and before the commit, with the page's number (from 1) and the cursor
    /// it stores. Throwing rolls the page back, cursor included, and ends the sync.
    public var pageStoring: (@Sendable (_ page: Int, _ cursor: Int64) throws -> Void)?

    public init(pushBatchRecords: Int = Replica.pushBatchSize, pushBatchBytes: Int = Replica.defaultPushBatchBytes,
                pullPageRecords: Int = Replica.pullPageSize,
                pageStoring: (@Sendable (_ page: Int, _ cursor: Int64) throws -> Void)? = nil) {
        precondition(pushBatchRecords > 0 && pullPageRecords > 0, "batch and page sizes are at least one record")
        self.pushBatchRecords = pushBatchRecords
        self.pushBatchBytes = pushBatchBytes
        self.pullPageRecords = pullPageRecords
        self.pageStoring = pageStoring
    }
}
