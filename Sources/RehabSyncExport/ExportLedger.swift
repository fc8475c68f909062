import RehabSyncCore
import RehabSyncStorage

/// Reads and writes the export tables of ``ExportSchema`` through a connection the caller
/// holds inside a transaction (a write for changes, a read for status).
public struct ExportLedger {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    // MARK: - Jobs and leases

    /// Records when the server first knew the job (catch-up never reaches before it); returns that time.
    @discardableResult
    public func registerJob(_ job: String, now: Int64) throws -> Int64 {
        let insert = try connection.cachedStatement("INSERT INTO export_jobs (job, first_seen_at) VALUES (?, ?) ON CONFLICT (job) DO NOTHING")
        try insert.execute([.text(job), .integer(now)])
        return try connection.cachedStatement("SELECT first_seen_at FROM export_jobs WHERE job = ?")
            .firstRow([.text(job)]) { $0.int64(at: 0) } ?? now
    }

    /// Takes the lease of (job, period) for `holder` unless another holder's lease is still
    /// running at `now`. Must run in a write transaction, which makes the check and the take atomic.
    public func acquireLease(job: String, period: ReportingPeriod, holder: String, now: Int64, duration: Int64) throws -> Bool {
        let current = try connection.cachedStatement("SELECT holder, expires_at FROM export_leases WHERE job = ? AND period = ?")
            .firstRow([.text(job), .text(period.description)]) { (try $0.requireText(at: 0), $0.int64(at: 1)) }
        if let current, current.0 != holder, current.1 > now { return false }
        try connection.cachedStatement("""
            INSERT INTO export_leases (job, period, holder, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (job, period) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            """).execute([.text(job), .text(period.description), .text(holder), .integer(now + duration)])
        return true
    }

    public func releaseLease(job: String, period: ReportingPeriod, holder: String) throws {
        try connection.cachedStatement("DELETE FROM export_leases WHERE job = ? AND period = ? AND holder = ?")
            .execute([.text(job), .text(period.description), .text(holder)])
    }

    // MARK: - Runs

    public func startRun(job: String, period: ReportingPeriod, trigger: String, asOf: Int64, now: Int64) throws -> Int64 {
        try connection.cachedStatement("""
            INSERT INTO export_runs (job, period, trigger, as_of, started_at, outcome) VALUES (?, ?, ?, ?, ?, 'running')
            """).execute([.text(job), .text(period.description), .text(trigger), .integer(asOf), .integer(now)])
        return connection.lastInsertRowID
    }

    public func finishRun(_ id: Int64, outcome: String, detail: String?, now: Int64) throws {
        try connection.cachedStatement("UPDATE export_runs SET outcome = ?, detail = ?, finished_at = ? WHERE id = ?")
            .execute([.text(outcome), detail.map(SQLValue.text) ?? .null, .integer(now), .integer(id)])
    }

    /// Whether a run of (job, period) has ended without leaving deliveries to retry:
    /// `completed`, or `failed` (a refusal a person must look at).
    public func hasSettledRun(job: String, period: ReportingPeriod) throws -> Bool {
        try connection.cachedStatement("""
            SELECT 1 FROM export_runs WHERE job = ? AND period = ? AND outcome IN ('completed', 'failed') LIMIT 1
            """).firstRow([.text(job), .text(period.description)]) { _ in true } ?? false
    }

    // MARK: - Deliveries

    private static let deliveryColumns = """
        SELECT id, job, unit, period, revision, idempotency_key, figures_hash, payload, payload_hash, state, http_status, answer,
               created_at, delivered_at FROM export_deliveries
        """

    private static func delivery(_ row: Statement) throws -> ExportDelivery {
        guard let period = ReportingPeriod(try row.requireText(at: 3)),
              let state = ExportDelivery.State(rawValue: try row.requireText(at: 9))
        else { throw ExportError("corrupt_ledger", "a delivery row has an unreadable period or state", status: 500) }
        return ExportDelivery(
            id: row.int64(at: 0), job: try row.requireText(at: 1), unit: try row.requireText(at: 2), period: period,
            revision: Int(row.int64(at: 4)), idempotencyKey: try row.requireText(at: 5), figuresHash: try row.requireText(at: 6),
            payload: row.blob(at: 7), payloadHash: try row.requireText(at: 8), state: state,
            httpStatus: row.isNull(at: 10) ? nil : Int(row.int64(at: 10)), answer: row.text(at: 11),
            createdAt: row.int64(at: 12), deliveredAt: row.isNull(at: 13) ? nil : row.int64(at: 13))
    }

    /// The newest revision of (job, unit, period), if any.
    public func latestDelivery(job: String, unit: String, period: ReportingPeriod) throws -> ExportDelivery? {
        try connection.prepare(Self.deliveryColumns + " WHERE job = ? AND unit = ? AND period = ? ORDER BY revision DESC LIMIT 1")
            .firstRow([.text(job), .text(unit), .text(period.description)], Self.delivery)
    }

    /// Every delivery of a job (all revisions), optionally of one period, oldest first.
    public func deliveries(job: String?, period: ReportingPeriod? = nil, state: ExportDelivery.State? = nil) throws -> [ExportDelivery] {
        try connection.prepare(Self.deliveryColumns + """
             WHERE (?1 IS NULL OR job = ?1) AND (?2 IS NULL OR period = ?2) AND (?3 IS NULL OR state = ?3)
             ORDER BY job, period, unit, revision
            """).rows([job.map(SQLValue.text) ?? .null, period.map { .text($0.description) } ?? .null, state.map { .text($0.rawValue) } ?? .null],
                      Self.delivery)
    }

    public func insertDelivery(_ bundle: RegisterBundle, figuresHash: String, payloadHash: String, snapshotSequence: Int64, run: Int64, now: Int64) throws -> Int64 {
        try connection.cachedStatement("""
            INSERT INTO export_deliveries (job, unit, period, revision, idempotency_key, figures_hash, payload, payload_hash,
                                           snapshot_sequence, state, run, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            """).execute([
                .text(bundle.job), .text(bundle.unit), .text(bundle.period.description), .integer(Int64(bundle.revision)),
                .text(bundle.idempotencyKey), .text(figuresHash), .blob(bundle.bytes), .text(payloadHash), .integer(snapshotSequence),
                .integer(run), .integer(now),
            ])
        return connection.lastInsertRowID
    }

    public func recordAttempt(delivery: Int64, at: Int64, httpStatus: Int?, error: String?) throws {
        try connection.cachedStatement("INSERT INTO export_attempts (delivery, at, http_status, error) VALUES (?, ?, ?, ?)")
            .execute([.integer(delivery), .integer(at), httpStatus.map { .integer(Int64($0)) } ?? .null, error.map(SQLValue.text) ?? .null])
    }

    public func settle(delivery: Int64, state: ExportDelivery.State, httpStatus: Int, answer: String, at: Int64) throws {
        try connection.cachedStatement("""
            UPDATE export_deliveries SET state = ?, http_status = ?, answer = ?, delivered_at = ? WHERE id = ?
            """).execute([.text(state.rawValue), .integer(Int64(httpStatus)), .text(answer),
                          state == .delivered ? .integer(at) : .null, .integer(delivery)])
    }

    /// Makes a refused delivery pending again, for a person who has fixed the cause and runs the month by hand.
    public func reopen(delivery: Int64) throws {
        try connection.cachedStatement("UPDATE export_deliveries SET state = 'pending' WHERE id = ? AND state = 'failed'")
            .execute([.integer(delivery)])
    }

    public func attemptCount(delivery: Int64) throws -> Int {
        Int(try connection.cachedStatement("SELECT count(*) FROM export_attempts WHERE delivery = ?")
            .firstRow([.integer(delivery)]) { $0.int64(at: 0) } ?? 0)
    }

    /// The ledger as JSON for `export status`: per unit and month the revision the register
    /// holds, what is waiting, failures with the register's answer, and the runs.
    public func status(job: String?) throws -> JSONValue {
        var units: [String: [String: JSONValue]] = [:]
        for delivery in try deliveries(job: job) {
            let key = "\(delivery.job) \(delivery.unit) \(delivery.period)"
            var entry = units[key] ?? ["job": .string(delivery.job), "unit": .string(delivery.unit), "period": .string(delivery.period.description)]
            switch delivery.state {
            case .delivered:
                entry["deliveredRevision"] = .integer(Int64(delivery.revision))
                entry["deliveredAt"] = .string(InstantText.format(delivery.deliveredAt ?? 0))
                entry["payloadHash"] = .string(delivery.payloadHash)
            case .pending:
                entry["pendingRevision"] = .integer(Int64(delivery.revision))
            case .failed:
                entry["failedRevision"] = .integer(Int64(delivery.revision))
                entry["failure"] = .object(["status": .integer(Int64(delivery.httpStatus ?? 0)), "answer": .string(delivery.answer ?? "")])
            }
            entry["attempts"] = .integer(Int64(try attemptCount(delivery: delivery.id)) + (entry["attempts"]?.integerValue ?? 0))
            units[key] = entry
        }
        let runs = try connection.prepare("""
            SELECT job, period, trigger, as_of, started_at, finished_at, outcome, detail FROM export_runs
            WHERE (?1 IS NULL OR job = ?1) ORDER BY id DESC LIMIT 50
            """).rows([job.map(SQLValue.text) ?? .null]) { row -> JSONValue in
                var object: [String: JSONValue] = [
                    "job": .string(try row.requireText(at: 0)), "period": .string(try row.requireText(at: 1)),
                    "trigger": .string(try row.requireText(at: 2)), "asOf": .string(InstantText.format(row.int64(at: 3))),
                    "startedAt": .string(InstantText.format(row.int64(at: 4))), "outcome": .string(try row.requireText(at: 6)),
                ]
                if !row.isNull(at: 5) { object["finishedAt"] = .string(InstantText.format(row.int64(at: 5))) }
                if let detail = row.text(at: 7) { object["detail"] = .string(detail) }
                return .object(object)
            }
        return .object([
            "reports": .array(units.keys.sorted().compactMap { units[$0].map(JSONValue.object) }),
            "runs": .array(runs),
        ])
    }
}
