import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncCrypto
import RehabSyncDomain
import RehabSyncHTTP
import RehabSyncStorage

/// Runs export jobs against the server's database: computes a period's reports from one
/// snapshot, stores each new revision in the ledger before sending it, delivers through
/// libcurl with retries, and records every attempt and answer. The scheduler, the
/// `rehabsync export` commands and the admin API all go through this.
///
/// Blocks on SQLite and the network: call it from a worker thread.
public final class RegisterExporter: Sendable {
    /// What one run did.
    public struct RunReport: Hashable, Sendable {
        public let job: String
        public let period: ReportingPeriod
        public let outcome: String
        /// Idempotency keys the register acknowledged in this run.
        public let delivered: [String]
        /// Reports whose figures had not changed since the revision the register holds.
        public let unchanged: Int
        /// Deliveries still waiting (network trouble, 5xx after every try) or refused, with the reason.
        public let problems: [String]

        public var json: JSONValue {
            .object([
                "job": .string(job), "period": .string(period.description), "outcome": .string(outcome),
                "delivered": .array(delivered.map(JSONValue.string)), "unchanged": .integer(Int64(unchanged)),
                "problems": .array(problems.map(JSONValue.string)),
            ])
        }
    }

    public let store: RecordStore
    public let catalog: ExportJobCatalog
    public let targets: [String: RegisterTarget]
    let now: @Sendable () -> Int64
    let sleep: @Sendable (Int64) -> Void
    let jitter: @Sendable () -> Double
    let logger: Logger
    /// Who holds leases taken by this exporter: random per instance, so two processes differ.
    let holder: String
    /// How long a lease lasts; a crashed holder's lease lapses after this.
    public let leaseMilliseconds: Int64
    /// Called after the register has answered 2xx and before the ledger records it; tests
    /// make it throw to stand for a crash at the worst moment.
    let afterAnswer: (@Sendable (ExportDelivery) throws -> Void)?

    public init(store: RecordStore, catalog: ExportJobCatalog, targets: [String: RegisterTarget], logger: Logger,
                now: @escaping @Sendable () -> Int64, sleep: @escaping @Sendable (Int64) -> Void = RegisterExporter.sleepMilliseconds,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, leaseMilliseconds: Int64 = 15 * 60_000,
                afterAnswer: (@Sendable (ExportDelivery) throws -> Void)? = nil) throws {
        self.store = store
        self.catalog = catalog
        self.targets = targets
        self.logger = logger
        self.now = now
        self.sleep = sleep
        self.jitter = jitter
        self.leaseMilliseconds = leaseMilliseconds
        self.afterAnswer = afterAnswer
        holder = Hex.encode(try SecureRandom.bytes(8))
        for job in catalog.jobs where targets[job.target] == nil {
            throw ExportError.invalid("target", "job '\(job.name)' names the unknown target '\(job.target)'", file: nil)
        }
    }

    /// Blocks the calling thread; the default way to wait between tries.
    public static let sleepMilliseconds: @Sendable (Int64) -> Void = { milliseconds in
        guard milliseconds > 0 else { return }
        Thread.sleep(forTimeInterval: Double(milliseconds) / 1_000)
    }

    // MARK: - Computing

    /// Refuses a period that has not ended at `asOf` (Swedish time): its figures would still move.
    func requireClosed(_ period: ReportingPeriod, asOf: Int64) throws(ExportError) {
        guard period.lastDay < CivilDate.swedishToday(unixMilliseconds: asOf) else {
            throw ExportError("period_open", "\(period) has not ended yet (Swedish time); it can be reported from the 1st of the next month",
                              field: "period", status: 422)
        }
    }

    /// The bundles a run would send for `period`, one per reporting unit with anything to
    /// report, at revision 1 and stamped `asOf`; nothing is stored or sent.
    public func dryRun(job name: String, period: ReportingPeriod, asOf: Int64? = nil) throws -> [RegisterBundle] {
        let job = try catalog.job(named: name)
        let asOf = asOf ?? now()
        try requireClosed(period, asOf: asOf)
        let (figures, _) = try SnapshotReader.figures(store: store, periods: [period])
        return figures.keys.sorted().compactMap { key in
            let measures = SnapshotReader.measures(of: figures[key] ?? UnitMonthFigures(), job: job)
            let raw = job.measures.map { figures[key]?.figures(for: $0) ?? UnitMonthFigures().figures(for: $0) }
            guard !raw.allSatisfy(\.isEmpty) else { return nil }
            return RegisterBundle(job: job.name, unit: key.unit, period: period, revision: 1, measures: measures, preparedAt: asOf)
        }
    }

    /// The bundles as the JSON array `export run --dry-run` prints.
    public static func payloadJSON(_ bundles: [RegisterBundle]) -> JSONValue { .array(bundles.map(\.json)) }

    /// A hash of what the register would learn from a report, timestamps and revision aside:
    /// equal hashes mean nothing to correct.
    static func figuresHash(_ measures: [MeasureFigures], job: String, unit: String, period: ReportingPeriod) -> String {
        SHA256Digest.hex(RegisterBundle(job: job, unit: unit, period: period, revision: 1, measures: measures, preparedAt: 0).bytes)
    }

    // MARK: - Running

    /// Computes `period` (and corrections of earlier months already reported, within the
    /// job's window), stores every new revision, and delivers what the register does not hold.
    ///
    /// - Parameter progress: Called on the calling thread with the deliveries attempted so far
    ///   and the run's total: once when the reports are computed, then after each delivery.
    /// - Throws: ``ExportError`` `busy` (409) when another run holds the lease of the job and
    ///   period, `period_open` (422) for a month not yet over.
    public func run(job name: String, period: ReportingPeriod, asOf: Int64? = nil, trigger: String = "manual",
                    progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> RunReport {
        let job = try catalog.job(named: name)
        // Safe because init checked every job's target.
        let target = targets[job.target]!
        let asOf = asOf ?? now()
        try requireClosed(period, asOf: asOf)
        let leased = try store.database.write { connection in
            try ExportLedger(connection: connection).acquireLease(job: job.name, period: period, holder: holder, now: now(), duration: leaseMilliseconds)
        }
        guard leased else {
            throw ExportError("busy", "another run of \(job.name) for \(period) is in progress", field: "period", status: 409)
        }
        let runID = try store.database.write { connection in
            try ExportLedger(connection: connection).startRun(job: job.name, period: period, trigger: trigger, asOf: asOf, now: now())
        }
        logger.info("export run started", [("job", job.name), ("period", period.description), ("trigger", trigger)])
        let outcome: String
        var delivered: [String] = []
        var problems: [String] = []
        let unchanged: Int
        do {
            let pending = try prepare(job: job, period: period, asOf: asOf, run: runID, retryRefused: trigger == "manual")
            unchanged = pending.unchanged
            progress?(0, pending.deliveries.count)
            for (index, delivery) in pending.deliveries.enumerated() {
                // Renewed before each delivery, so a run slowed by retries keeps its lease; a
                // run that lost it (stalled past its expiry) stops rather than race the new holder.
                let renewed = try store.database.write { connection in
                    try ExportLedger(connection: connection).acquireLease(job: job.name, period: period, holder: holder, now: now(), duration: leaseMilliseconds)
                }
                guard renewed else { throw ExportError("busy", "the lease of \(job.name) for \(period) passed to another run", field: "period", status: 409) }
                switch try deliver(delivery, target: target) {
                case .delivered: delivered.append(delivery.idempotencyKey)
                case .refused(let reason), .waiting(let reason): problems.append("\(delivery.idempotencyKey): \(reason)")
                }
                progress?(index + 1, pending.deliveries.count)
            }
            let remaining = try store.read { queries in
                try ExportLedger(connection: queries.connection).deliveries(job: job.name).filter { pending.ids.contains($0.id) }
            }
            outcome = remaining.contains { $0.state == .pending } ? "incomplete" : remaining.contains { $0.state == .failed } ? "failed" : "completed"
        } catch {
            // An error (not a crash: a killed process leaves its lease to lapse) ends the run
            // as incomplete and frees the month for the next attempt.
            try? store.database.write { connection in
                let ledger = ExportLedger(connection: connection)
                try ledger.finishRun(runID, outcome: "incomplete", detail: "\(error)", now: now())
                try ledger.releaseLease(job: job.name, period: period, holder: holder)
            }
            throw error
        }
        try store.database.write { connection in
            let ledger = ExportLedger(connection: connection)
            try ledger.finishRun(runID, outcome: outcome, detail: problems.isEmpty ? nil : problems.joined(separator: "; "), now: now())
            try ledger.releaseLease(job: job.name, period: period, holder: holder)
        }
        logger.notice("export run finished", [("job", job.name), ("period", period.description), ("outcome", outcome),
                                               ("delivered", "\(delivered.count)"), ("unchanged", "\(unchanged)")])
        return RunReport(job: job.name, period: period, outcome: outcome, delivered: delivered, unchanged: unchanged, problems: problems)
    }

    /// Works out, from one snapshot, which reports are new or changed, and stores them as
    /// pending revisions; returns every delivery to attempt (new ones and older pending ones).
    private func prepare(job: ExportJob, period: ReportingPeriod, asOf: Int64, run: Int64, retryRefused: Bool)
        throws -> (deliveries: [ExportDelivery], ids: Set<Int64>, unchanged: Int) {
        let window = Set(period.withPrevious(job.correctionMonths))
        let reported = try store.read { queries in
            try ExportLedger(connection: queries.connection).deliveries(job: job.name).filter { window.contains($0.period) }
        }
        let (figures, sequence) = try SnapshotReader.figures(store: store, periods: window)
        var candidates = Set(reported.map { MonthlyAggregator.Key(unit: $0.unit, period: $0.period) })
        for (key, unitFigures) in figures where key.period == period && !job.measures.allSatisfy({ unitFigures.figures(for: $0).isEmpty }) {
            candidates.insert(key)
        }
        return try store.database.write { connection in
            let ledger = ExportLedger(connection: connection)
            var ids: Set<Int64> = []
            var unchanged = 0
            for key in candidates.sorted() {
                let measures = SnapshotReader.measures(of: figures[key] ?? UnitMonthFigures(), job: job)
                let hash = Self.figuresHash(measures, job: job.name, unit: key.unit, period: key.period)
                let latest = try ledger.latestDelivery(job: job.name, unit: key.unit, period: key.period)
                if let latest, latest.state == .pending { ids.insert(latest.id) }
                if let latest, latest.figuresHash == hash {
                    if latest.state == .failed, retryRefused {
                        try ledger.reopen(delivery: latest.id)
                        ids.insert(latest.id)
                    } else if latest.state != .pending {
                        unchanged += 1
                    }
                    continue
                }
                let bundle = RegisterBundle(job: job.name, unit: key.unit, period: key.period, revision: (latest?.revision ?? 0) + 1,
                                            measures: measures, preparedAt: asOf)
                ids.insert(try ledger.insertDelivery(bundle, figuresHash: hash, payloadHash: SHA256Digest.hex(bundle.bytes),
                                                     snapshotSequence: sequence, run: run, now: now()))
            }
            let deliveries = try ledger.deliveries(job: job.name).filter { ids.contains($0.id) }
            return (deliveries, ids, unchanged)
        }
    }

    enum DeliveryResult {
        case delivered
        case refused(String)
        case waiting(String)
    }

    /// Sends one stored delivery, retrying network errors, 5xx and 429 with backoff; records every attempt.
    func deliver(_ delivery: ExportDelivery, target: RegisterTarget) throws -> DeliveryResult {
        let client = CurlHTTPClient(options: target.clientOptions)
        let backoff = DeliveryBackoff(initialMilliseconds: Int64(target.initialBackoffMilliseconds),
                                      maximumMilliseconds: Int64(target.maxBackoffSeconds) * 1_000)
        var lastReason = "not attempted"
        for attempt in 1...max(1, target.maxAttempts) {
            var retryAfter: Int?
            do {
                let response = try client.send("POST", target.url, headers: [
                    "Content-Type": "application/fhir+json", "Accept": "application/fhir+json", "Idempotency-Key": delivery.idempotencyKey,
                ], body: delivery.payload)
                let answer = String(response.bodyText.prefix(2_000))
                try store.database.write { connection in
                    try ExportLedger(connection: connection).recordAttempt(delivery: delivery.id, at: now(), httpStatus: response.status, error: nil)
                }
                switch response.status {
                case 200, 201:
                    try afterAnswer?(delivery)
                    try store.database.write { connection in
                        try ExportLedger(connection: connection).settle(delivery: delivery.id, state: .delivered, httpStatus: response.status, answer: answer, at: now())
                    }
                    logger.info("report delivered", [("key", delivery.idempotencyKey), ("status", "\(response.status)")])
                    return .delivered
                case 429, 500...599:
                    lastReason = "register answered \(response.status): \(answer)"
                    retryAfter = response.retryAfterSeconds
                default:
                    try store.database.write { connection in
                        try ExportLedger(connection: connection).settle(delivery: delivery.id, state: .failed, httpStatus: response.status, answer: answer, at: now())
                    }
                    logger.error("register refused a report", [("key", delivery.idempotencyKey), ("status", "\(response.status)")])
                    return .refused("register answered \(response.status): \(answer)")
                }
            } catch let error as HTTPClientError {
                lastReason = error.description
                try store.database.write { connection in
                    try ExportLedger(connection: connection).recordAttempt(delivery: delivery.id, at: now(), httpStatus: nil, error: error.description)
                }
                guard error.isTransient else { return .waiting(lastReason) }
            }
            if attempt < target.maxAttempts {
                sleep(backoff.delay(afterAttempt: attempt, retryAfterSeconds: retryAfter, jitter: jitter()))
            }
        }
        logger.warning("report not delivered; will retry on the next run", [("key", delivery.idempotencyKey), ("reason", lastReason)])
        return .waiting(lastReason)
    }

    // MARK: - Schedule

    /// Runs every enabled job's scheduled runs that are due at `instant` and not yet settled:
    /// the run of the latest 20th, and any missed while the server was down (back to when the
    /// server first knew the job, within the job's correction window). Errors are logged, not thrown.
    @discardableResult
    public func runDue(at instant: Int64) -> [RunReport] {
        var reports: [RunReport] = []
        for job in catalog.jobs where job.enabled {
            do {
                let schedule = ExportSchedule(job: job)
                let firstSeen = try store.database.write { try ExportLedger(connection: $0).registerJob(job.name, now: instant) }
                let windowStart = instant - Int64(job.correctionMonths + 1) * 31 * 86_400_000
                for runAt in schedule.runs(after: max(firstSeen, windowStart) - 1, upTo: instant) where runAt >= firstSeen {
                    let period = schedule.period(ofRunAt: runAt)
                    let settled = try store.read { try ExportLedger(connection: $0.connection).hasSettledRun(job: job.name, period: period) }
                    guard !settled else { continue }
                    let trigger = instant - runAt > 60_000 ? "catch-up" : "schedule"
                    reports.append(try run(job: job.name, period: period, asOf: instant, trigger: trigger))
                }
            } catch {
                logger.error("scheduled export failed", [("job", job.name), ("error", "\(error)")])
            }
        }
        return reports
    }

    /// The next `count` runs of every enabled job after `instant`, as JSON for `export next`.
    public func upcoming(after instant: Int64, count: Int = 3) -> JSONValue {
        .array(catalog.jobs.filter(\.enabled).flatMap { job -> [JSONValue] in
            let schedule = ExportSchedule(job: job)
            var runs: [JSONValue] = []
            var from = instant
            for _ in 0..<count {
                let next = schedule.nextRun(after: from)
                runs.append(.object(["job": .string(job.name), "at": .string(InstantText.format(next)),
                                     "period": .string(schedule.period(ofRunAt: next).description), "target": .string(job.target)]))
                from = next
            }
            return runs
        })
    }

    /// The earliest next run of any enabled job after `instant`, if any job is enabled.
    public func nextRun(after instant: Int64) -> Int64? {
        catalog.jobs.filter(\.enabled).map { ExportSchedule(job: $0).nextRun(after: instant) }.min()
    }

    /// The ledger for `export status`.
    public func status(job: String?) throws -> JSONValue {
        if let job { _ = try catalog.job(named: job) }
        return try store.read { try ExportLedger(connection: $0.connection).status(job: job) }
    }
}
