import Foundation
import RehabSyncCore
import RehabSyncStorage
import Synchronization

/// Computes the monthly figures from one read snapshot of the record database: a single
/// read transaction, so syncs that commit meanwhile are either wholly in or wholly out.
public enum SnapshotReader {
    /// The raw figures per unit and month for `periods`, and the database's change
    /// sequence at the snapshot (recorded in the ledger as the data a report was built on).
    ///
    /// Care plans are read first (through their index), then every other record in one
    /// sequential pass, since the national goal must know the plans before the
    /// interventions. That pass is split between two readers, one per core. Each opens its
    /// own read transaction; both read the change sequence first, and every change to a
    /// record raises it, so equal sequences mean the two saw the same snapshot. When a sync
    /// commits between their starts they differ, and the computation is done again (on one
    /// reader after a few tries).
    public static func figures(store: RecordStore, periods: Set<ReportingPeriod>) throws -> (figures: [MonthlyAggregator.Key: UnitMonthFigures], sequence: Int64) {
        for _ in 0..<3 {
            if let result = try twoReaders(store: store, periods: periods) { return result }
        }
        return try store.read { queries in
            var aggregator = MonthlyAggregator(periods: periods)
            try scan(queries, into: &aggregator, collection: "carePlans")
            try scan(queries, into: &aggregator, excluding: "carePlans")
            return (aggregator.result(), try queries.clockState().sequence)
        }
    }

    /// One reader visits the plans and the lower half of the rows, another the upper half;
    /// nil when they did not see the same snapshot.
    static func twoReaders(store: RecordStore, periods: Set<ReportingPeriod>) throws -> (figures: [MonthlyAggregator.Key: UnitMonthFigures], sequence: Int64)? {
        let middle = try store.read { try $0.maximumRowID() } / 2
        let plansRead = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let afterPlans = Mutex<MonthlyAggregator?>(nil)
        let upper = Mutex<Result<(MonthlyAggregator, Int64), any Error>?>(nil)
        let helper = Thread {
            let result = Result { () throws -> (MonthlyAggregator, Int64) in
                try store.read { queries in
                    let sequence = try queries.clockState().sequence
                    plansRead.wait()
                    guard var aggregator = afterPlans.withLock({ $0 })?.continuing() else {
                        throw ExportError("cancelled", "the other reader failed", status: 500)
                    }
                    try scan(queries, into: &aggregator, excluding: "carePlans", rows: (middle + 1)...Int64.max)
                    return (aggregator, sequence)
                }
            }
            upper.withLock { $0 = result }
            finished.signal()
        }
        helper.start()
        let lower = Result { () throws -> (MonthlyAggregator, Int64) in
            var released = false
            defer { if !released { plansRead.signal() } }
            return try store.read { queries in
                let sequence = try queries.clockState().sequence
                var aggregator = MonthlyAggregator(periods: periods)
                try scan(queries, into: &aggregator, collection: "carePlans")
                afterPlans.withLock { $0 = aggregator }
                plansRead.signal()
                released = true
                try scan(queries, into: &aggregator, excluding: "carePlans", rows: 0...middle)
                return (aggregator, sequence)
            }
        }
        finished.wait()
        var (combined, sequence) = try lower.get()
        // Safe because the helper stores its result before it signals `finished`.
        let (other, otherSequence) = try upper.withLock { $0! }.get()
        guard sequence == otherSequence else { return nil }
        combined.absorb(other)
        return (combined.result(), sequence)
    }

    /// Feeds the records a pass visits to `aggregator`, reading each state's wanted fields in place.
    static func scan(_ queries: RecordQueries, into aggregator: inout MonthlyAggregator, collection: String? = nil,
                     excluding: String? = nil, rows: ClosedRange<Int64> = 0...Int64.max) throws {
        var slots: [CanonicalStateScanner.Slot] = []
        try queries.forEachRecord(in: collection, excluding: excluding, rows: rows) { collection, patient, bytes in
            guard let scanner = MonthlyAggregator.fieldsRead[collection] else { return }
            if slots.count != scanner.names.count { slots = Array(repeating: .init(), count: scanner.names.count) }
            do throws(CanonicalStateScanner.Malformed) { try scanner.scan(bytes, into: &slots) } catch {
                throw ExportError("corrupt_state", "a stored \(collection) state is not canonical at byte \(error.offset)", status: 500)
            }
            aggregator.add(collection: collection, patient: patient, fields: ScannedRecordFields(bytes: bytes, names: scanner.names, slots: slots))
        }
    }

    /// The suppressed measures of `job` for one unit-month.
    public static func measures(of figures: UnitMonthFigures, job: ExportJob) -> [MeasureFigures] {
        job.measures.map { CellSuppression.apply(figures.figures(for: $0), threshold: job.suppressionThreshold) }
    }
}
