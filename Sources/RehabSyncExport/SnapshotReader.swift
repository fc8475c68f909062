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
            // Care plans first (through their index), then every other record in one
            // sequential pass: the national goal must know the plans before the interventions.
            var slots: [CanonicalStateScanner.Slot] = []
            func visit(_ collection: String, _ patient: String?, _ bytes: UnsafeRawBufferPointer) throws {
                guard let scanner = MonthlyAggregator.fieldsRead[collection] else { return }
                do {
                    if slots.count != scanner.names.count { slots = Array(repeating: .init(), count: scanner.names.count) }
                    try scanner.scan(bytes, into: &slots)
                    aggregator.add(collection: collection, patient: patient, fields: ScannedRecordFields(bytes: bytes, names: scanner.names, slots: slots))
                } catch {
                    throw ExportError("corrupt_state", "a stored \(collection) state is not canonical at byte \(error.offset)", status: 500)
                }
            }
            try queries.forEachRecord(in: "carePlans", visit)
            try queries.forEachRecord(excluding: "carePlans", visit)
            return (aggregator.result(), try queries.clockState().sequence)
        }
    }

    /// The suppressed measures of `job` for one unit-month.
    public static func measures(of figures: UnitMonthFigures, job: ExportJob) -> [MeasureFigures] {
        job.measures.map { CellSuppression.apply(figures.figures(for: $0), threshold: job.suppressionThreshold) }
    }
}
