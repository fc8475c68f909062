import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncDomain
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncReferenceFiles
import RehabSyncServer
import RehabSyncStorage
import Testing

/// The export inside the running server: the scheduler's catch-up at start-up and the admin API.
struct ServerExportTests {
    typealias F = ExportFixtures
    static let repository = ExportJobTests.repository

    static func settings(_ scratch: ExportScratch) -> ServerSettings {
        var settings = ServerSettings()
        settings.port = 0
        settings.dataDirectory = scratch.path("data")
        settings.kvaDirectory = repository.appendingPathComponent("Config/kva").path
        settings.questionnaireDirectory = repository.appendingPathComponent("Config/questionnaires").path
        settings.shutdownGraceSeconds = 1
        return settings
    }

    static func application(_ scratch: ExportScratch, url: String, clock: TestClock) throws -> ServerApplication {
        try ServerApplication(settings: settings(scratch), logger: F.quiet, now: clock.function,
                              export: ExportConfiguration(catalog: ExportJobCatalog(jobs: [ExportJob(name: F.job)]), targets: F.targets(url)),
                              exportSleep: SleepLog().function)
    }

    static func stop(_ application: ServerApplication) {
        application.stop(gracePeriod: .seconds(1))
        application.http.waitUntilStopped()
        application.finish()
    }

    @Test func aRunMissedWhileTheServerWasDownIsCaughtUpAfterRestart() throws {
        let scratch = try ExportScratch()
        let (receiver, url) = try F.receiver(scratch)
        defer { receiver.stop() }
        let clock = TestClock(F.utc(2026, 3, 10))
        let first = try Self.application(scratch, url: url, clock: clock)
        try first.start()
        #expect(first.scheduler?.waitUntilCaughtUp(timeout: .seconds(10)) == true)
        try F.february(first.service.store)
        Self.stop(first)
        #expect(receiver.accepted.isEmpty)

        // Down over the 20th; back on the 25th.
        clock.set(F.utc(2026, 3, 25))
        let second = try Self.application(scratch, url: url, clock: clock)
        try second.start()
        #expect(second.scheduler?.waitUntilCaughtUp(timeout: .seconds(30)) == true)
        #expect(receiver.accepted.keys.sorted() == ["\(F.job)/\(F.unitA)/2026-02/r1"])
        let status = try #require(try second.exporter?.status(job: F.job))
        #expect(status.objectValue?["runs"]?.arrayValue?.first?.objectValue?["trigger"] == .string("catch-up"))
        Self.stop(second)
    }

    @Test func theAdminAPIValidatesRunsAndShowsTheLedger() throws {
        let scratch = try ExportScratch()
        let (receiver, url) = try F.receiver(scratch)
        defer { receiver.stop() }
        let clock = TestClock(F.utc(2026, 3, 20, 1))
        let application = try Self.application(scratch, url: url, clock: clock)
        try F.february(application.service.store)
        func send(_ method: String, _ target: String, body: String = "", token: String? = application.adminToken) -> HTTPResponse {
            var headers: [(String, String)] = []
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            return application.router.handle(HTTPRequest(method: method, target: target, headers: HTTPHeaders(headers), body: Array(body.utf8)))
        }
        func json(_ response: HTTPResponse) -> JSONValue? { try? JSONParser.parse(response.body) }

        #expect(send("GET", "/v1/admin/export/status", token: nil).status.code == 401)
        #expect(send("GET", "/v1/admin/export/jobs").status.code == 200)
        let next = json(send("GET", "/v1/admin/export/next"))?.objectValue?["runs"]?.arrayValue?.first?.objectValue
        #expect(next?["at"] == .string("2026-04-20T00:00:00Z"))
        #expect(next?["period"] == .string("2026-03"))
        let bad = send("POST", "/v1/admin/export/run", body: #"{"job":"monthly-register-export","period":"2026-13"}"#)
        #expect(bad.status.code == 400)
        #expect(json(bad)?.objectValue?["error"]?.objectValue?["field"] == .string("period"))
        let open = send("POST", "/v1/admin/export/run", body: #"{"job":"monthly-register-export","period":"2026-03"}"#)
        #expect(open.status.code == 422)
        #expect(send("POST", "/v1/admin/export/run", body: #"{"job":"nope","period":"2026-02"}"#).status.code == 404)

        let dry = send("POST", "/v1/admin/export/run", body: #"{"job":"monthly-register-export","period":"2026-02","dryRun":true}"#)
        #expect(dry.status.code == 200)
        #expect(json(dry)?.arrayValue?.count == 1)
        #expect(receiver.answers.isEmpty)
        let run = send("POST", "/v1/admin/export/run", body: #"{"job":"monthly-register-export","period":"2026-02","asOf":"2026-03-20T02:00:00+01:00"}"#)
        #expect(json(run)?.objectValue?["outcome"] == .string("completed"))
        #expect(receiver.answers == [201: 1])
        let status = json(send("GET", "/v1/admin/export/status?job=monthly-register-export"))
        #expect(status?.objectValue?["reports"]?.arrayValue?.first?.objectValue?["deliveredRevision"] == .integer(1))
    }

    @Test func theExampleInstrumentLetsAFreshInstallRecordAnAssessmentThatTheExportCounts() throws {
        let reference = try ReferenceDataFiles.load(kvaDirectory: Self.repository.appendingPathComponent("Config/kva").path,
                                                    questionnaireDirectory: Self.repository.appendingPathComponent("Config/questionnaires").path,
                                                    today: CivilDate(year: 2026, month: 3, day: 1)!)
        let harness = try DeliveryHarness(february: false)
        let answers = ["fatigue", "pain", "sleep", "eating", "mobility", "worry", "mood", "relationships", "workAndMoney"]
        for number in 0..<5 {
            let values: [String: JSONValue] = [
                "patient": .string(F.patient(number)), "careUnits": .array([.string(F.unitA)]), "questionnaire": .string("example-problem-areas"),
                "questionnaireVersion": .string("1"), "answers": .object(Dictionary(uniqueKeysWithValues: answers.map { ($0, JSONValue.integer(2)) })),
                "timepoint": .string("treatmentStart"), "source": .string("patient"), "authored": .string("2026-02-1\(number)T23:30:00+01:00"),
                "status": .string("completed"),
            ]
            _ = try harness.service.store.write { transaction, _ in
                try transaction.write(RecordKey(collection: "assessments", recordID: "a\(number)"), values: values, author: F.nurse,
                                      wallMilliseconds: F.utc(2026, 2, 20)) { before, after in
                    try RecordValidator(reference: reference).validate(collection: "assessments", recordID: "a\(number)", before: before, after: after)
                }
            }
        }
        let bundles = try harness.exporter().dryRun(job: F.job, period: ReportingPeriod("2026-02")!)
        let needs = try #require(bundles.first?.measures.first { $0.measure == .needsAssessment })
        #expect(needs.groups.first?.populations.first?.cell == .count(5))
    }
}
