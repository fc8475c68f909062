import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncExport
import RehabSyncServer
import RehabSyncStorage
import Testing

/// The reference receiver over loopback with libcurl, and the exporter against it when it
/// misbehaves in ways that only a real socket shows.
struct RegisterReceiverTests {
    typealias F = ExportFixtures

    static func bundle(revision: Int = 1, count: Int = 7) -> RegisterBundle {
        RegisterBundle(job: F.job, unit: F.unitA, period: ReportingPeriod("2026-02")!, revision: revision, measures: [
            MeasureFigures(measure: .rehabilitationPlan, groups: [.init(code: "AW020", populations: [.init(code: "initial-population", cell: .count(count))])]),
        ], preparedAt: F.utc(2026, 3, 20))
    }

    static func post(_ url: String, _ body: [UInt8], key: String?) throws -> HTTPClientResponse {
        var headers = ["Content-Type": "application/fhir+json"]
        if let key { headers["Idempotency-Key"] = key }
        return try CurlHTTPClient().send("POST", url, headers: headers, body: body)
    }

    @Test func theReceiverAnswers201ThenTheSameKeyWith200Or409AndRefusesBadBundles() throws {
        let scratch = try ExportScratch()
        let (receiver, url) = try F.receiver(scratch)
        defer { receiver.stop() }
        let bundle = Self.bundle()
        #expect(try Self.post(url, bundle.bytes, key: bundle.idempotencyKey).status == 201)
        #expect(try Self.post(url, bundle.bytes, key: bundle.idempotencyKey).status == 200)
        let other = Self.bundle(count: 8)
        let conflict = try Self.post(url, other.bytes, key: other.idempotencyKey)
        #expect(conflict.status == 409)
        #expect(try Self.post(url, bundle.bytes, key: nil).status == 400)
        #expect(try Self.post(url, Array("not json".utf8), key: "k").status == 400)
        let mismatch = try Self.post(url, bundle.bytes, key: "\(F.job)/\(F.unitA)/2026-02/r9")
        #expect(mismatch.status == 422)
        #expect(mismatch.bodyText.contains("Idempotency-Key"))
        let noReport = Array(#"{"resourceType":"Bundle","type":"collection","identifier":{"value":"j/u/2026-02/r1"},"timestamp":"2026-03-20T00:00:00Z","entry":[]}"#.utf8)
        #expect(try Self.post(url, noReport, key: "j/u/2026-02/r1").status == 422)
        // One file per accepted key, and a restarted receiver remembers it.
        let files = try FileManager.default.contentsOfDirectory(atPath: receiver.directory)
        #expect(files.count == 1)
        receiver.stop()
        let restarted = try RegisterReceiver(directory: receiver.directory, port: 0, logger: F.quiet)
        let port = try restarted.start()
        defer { restarted.stop() }
        #expect(try Self.post("http://127.0.0.1:\(port)/fhir/Bundle", bundle.bytes, key: bundle.idempotencyKey).status == 200)
    }

    @Test func theReceiverCanBeToldOverHTTPToFailTheNextRequests() throws {
        let scratch = try ExportScratch()
        let (receiver, url) = try F.receiver(scratch)
        defer { receiver.stop() }
        let control = url.replacingOccurrences(of: "/fhir/Bundle", with: "/control/fail-next")
        #expect(try CurlHTTPClient().send("POST", control, body: Array(#"{"count":2,"retryAfterSeconds":7}"#.utf8)).status == 200)
        let bundle = Self.bundle()
        let first = try Self.post(url, bundle.bytes, key: bundle.idempotencyKey)
        #expect(first.status == 503)
        #expect(first.retryAfterSeconds == 7)
        #expect(try Self.post(url, bundle.bytes, key: bundle.idempotencyKey).status == 503)
        #expect(try Self.post(url, bundle.bytes, key: bundle.idempotencyKey).status == 201)
    }

    @Test func aTimedOutDeliveryIsRetriedAndTheRegisterStillHoldsItOnce() throws {
        let harness = try DeliveryHarness()
        var target = F.targets(harness.url)["national-register"]!  // Safe because targets() names it.
        target.timeoutSeconds = 1
        let exporter = try RegisterExporter(store: harness.service.store, catalog: ExportJobCatalog(jobs: [ExportJob(name: F.job)]),
                                            targets: ["national-register": target], logger: F.quiet, now: harness.clock.function,
                                            sleep: SleepLog().function, jitter: { 0 })
        harness.receiver.slowNext(1, milliseconds: 2_500)
        let report = try exporter.run(job: F.job, period: ReportingPeriod("2026-02")!)
        #expect(report.outcome == "completed")
        #expect(harness.receiver.accepted.count == 1)
        let attempts = try harness.service.store.read { queries in
            try queries.connection.prepare("SELECT http_status, error FROM export_attempts ORDER BY id").rows { ($0.isNull(at: 0) ? nil : $0.int64(at: 0), $0.text(at: 1)) }
        }
        #expect(attempts.count == 2)
        #expect(attempts.first?.0 == nil)
        #expect(attempts.first?.1?.contains("curl 28") == true)
        #expect(attempts.last?.0 == 200)
    }

    /// `rehabsync export run` of February 2026 for the test job.
    static let exportRun = ["export", "run", "--job", F.job, "--period", "2026-02",
                            "--config", ExportJobTests.repository.appendingPathComponent("Config/rehabsync.json").path]

    /// February's records in a database where an exporter process finds it (its data
    /// directory), a job directory, and the environment that points the process at both
    /// and at the harness's register.
    static func exporterProcessSetting(_ harness: DeliveryHarness) throws -> (SyncService, [String: String]) {
        let dataDirectory = harness.scratch.path("data")
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let service = try F.service(harness.scratch, now: harness.clock.function, path: dataDirectory + "/rehabsync.sqlite")
        try F.february(service.store)
        let jobs = harness.scratch.path("jobs")
        try FileManager.default.createDirectory(atPath: jobs, withIntermediateDirectories: true)
        try Data(#"{"name":"monthly-register-export"}"#.utf8).write(to: URL(fileURLWithPath: jobs + "/job.json"))
        return (service, ["REHABSYNC_DATA_DIR": dataDirectory, "REHABSYNC_JOBS_DIR": jobs, "REHABSYNC_REGISTER_URL": harness.url,
                          "REHABSYNC_LOG_LEVEL": "critical"])
    }

    @Test("export run to a pipe writes a one-line summary of its deliveries on stderr, --quiet nothing, and stdout stays JSON")
    func exportRunSummaryOnStandardError() throws {
        let harness = try DeliveryHarness(february: false)
        let (_, environment) = try Self.exporterProcessSetting(harness)
        let words = Self.exportRun
        let first = try TestExecutables.runRehabsync(words, environment: environment)
        #expect(first.status == 0, "\(first.errors)")
        let delivered = harness.receiver.accepted.count
        #expect(delivered > 0)
        #expect(first.errors.wholeMatch(of: /export 2026-02: (\d+) deliveries in \d+(\.\d)?s( \(\d+ deliveries\/s\))?, [a-z]+, \d+ unchanged\n/)?.1 == Substring("\(delivered)"),
                "\(first.errors)")
        #expect(!first.errors.contains("\u{1B}"), "no redrawing without a terminal")
        #expect(try JSONParser.parse(Array(first.output.utf8)).objectValue != nil, "\(first.output)")
        let quiet = try TestExecutables.runRehabsync(words + ["--quiet"], environment: environment)
        #expect(quiet.status == 0)
        #expect(quiet.errors.isEmpty, "\(quiet.errors)")
        #expect(harness.receiver.accepted.count == delivered, "an unchanged month is not sent again")
    }

    @Test func killingTheExporterProcessWhileTheRegistersAnswerIsOnItsWayCountsTheMonthOnce() throws {
        let harness = try DeliveryHarness(february: false)
        let (service, environment) = try Self.exporterProcessSetting(harness)

        // The register stores the report, then takes its time answering; the exporter dies meanwhile.
        harness.receiver.slowNext(1, milliseconds: 20_000)
        let process = Process()
        process.executableURL = try TestExecutables.rehabsync()
        process.arguments = Self.exportRun
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while harness.receiver.accepted.isEmpty, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(harness.receiver.accepted.count == 1)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let ledger = try service.store.read { try ExportLedger(connection: $0.connection).deliveries(job: F.job) }
        #expect(ledger.map(\.state) == [.pending])

        // The dead process's lease holds the month until it lapses; the next run after that
        // sends the same bytes again.
        harness.clock.set(Int64(Date().timeIntervalSince1970 * 1_000))
        let exporter = try F.exporter(service.store, url: harness.url, clock: harness.clock)
        #expect { try exporter.run(job: F.job, period: ReportingPeriod("2026-02")!) } throws: { ($0 as? ExportError)?.code == "busy" }
        harness.clock.set(harness.clock.now + exporter.leaseMilliseconds + 60_000)
        let report = try exporter.run(job: F.job, period: ReportingPeriod("2026-02")!)
        #expect(report.delivered == ledger.map(\.idempotencyKey))
        #expect(harness.receiver.accepted.count == 1)
        #expect(harness.receiver.answers[200] == 1)
        #expect(harness.receiver.answers[201, default: 0] <= 1)
    }
}
