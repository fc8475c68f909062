import RehabSyncCore
import RehabSyncStorage

/// Computes the monthly figures from one read snapshot of the record database: a single
/// read transaction, so syncs that commit meanwhile are either wholly in or wholly out.
public enum SnapshotReader {
    /// The raw figures per unit and month for `periods`, and the database's change
    /// sequence at the snapshot (recorded in the ledger as the data a report was built on).
    public static func figures(store: RecordStore, periods: Set<ReportingPeriod>) throws -> (figures: [MonthlyAggregator.Key: UnitMonthFigures], sequence: Int64) {
        try store.read { queries in
            var aggregator = MonthlyAggregator(periods: periods)
            for collection in MonthlyAggregator.collectionOrder {
                try queries.forEachRecord(in: collection) { patient, bytes in
                    aggregator.add(collection: collection, patient: patient, state: try RecordState(decoding: bytes))
                }
            }
            return (aggregator.result(), try queries.clockState().sequence)
        }
    }

    /// The suppressed measures of `job` for one unit-month.
    public static func measures(of figures: UnitMonthFigures, job: ExportJob) -> [MeasureFigures] {
        job.measures.map { CellSuppression.apply(figures.figures(for: $0), threshold: job.suppressionThreshold) }
    }
}
