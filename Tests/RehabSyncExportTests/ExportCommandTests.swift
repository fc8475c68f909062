import Foundation
import RehabSyncCore
import RehabSyncServer
import Testing

/// `rehabsync export` as an operator runs it: the built executable in a subprocess.
struct ExportCommandTests {
    typealias F = ExportFixtures

    static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String, errors: String) {
        try F.runProcess(try TestExecutables.rehabsync(), arguments, environment: environment)
    }

    @Test func validateAcceptsTheShippedJobAndNamesTheFileAndFieldOfABadOne() throws {
        let config = ExportJobTests.repository.appendingPathComponent("Config/rehabsync.json").path
        let good = try Self.run(["export", "validate", "--config", config],
                                environment: ["REHABSYNC_JOBS_DIR": ExportJobTests.repository.appendingPathComponent("Jobs").path])
        #expect(good.status == 0, "\(good.errors)")
        #expect(good.output.contains("monthly-register-export"))

        let scratch = try ExportScratch()
        try Data(#"{"name":"monthly-register-export","schedule":{"dayOfMonth":30}}"#.utf8).write(to: scratch.url.appendingPathComponent("bad.json"))
        let bad = try Self.run(["export", "validate", "--config", config], environment: ["REHABSYNC_JOBS_DIR": scratch.url.path])
        #expect(bad.status == 1)
        #expect(bad.errors.contains("bad.json: schedule.dayOfMonth"))
    }

    @Test func aDryRunFromTheCommandLinePrintsTheBundlesAndNextListsTheRuns() throws {
        let scratch = try ExportScratch()
        let data = scratch.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let service = try F.service(scratch, now: { F.utc(2026, 3, 1) }, path: data + "/rehabsync.sqlite")
        try F.february(service.store)
        let environment = ["REHABSYNC_DATA_DIR": data, "REHABSYNC_JOBS_DIR": ExportJobTests.repository.appendingPathComponent("Jobs").path,
                           "REHABSYNC_LOG_LEVEL": "critical"]
        let config = ExportJobTests.repository.appendingPathComponent("Config/rehabsync.json").path
        let dry = try Self.run(["export", "run", "--job", F.job, "--period", "2026-02", "--dry-run", "--config", config], environment: environment)
        #expect(dry.status == 0, "\(dry.errors)")
        let bundles = try JSONParser.parse(dry.output).arrayValue
        #expect(bundles?.count == 1)
        #expect(bundles?.first?.objectValue?["resourceType"] == .string("Bundle"))
        let next = try Self.run(["export", "next", "--config", config], environment: environment)
        #expect(next.status == 0)
        #expect(next.output.contains(#""job":"monthly-register-export""#))
        let status = try Self.run(["export", "status", "--config", config], environment: environment)
        #expect(status.status == 0)
        #expect(status.output.contains(#""reports":[]"#))
    }

    @Test func aRunUsesTheServersAuditKeyFileAndLeavesNoOtherKeyInTheDataDirectory() throws {
        let scratch = try ExportScratch()
        let data = scratch.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        // The server sealed its access log with a key kept outside the data directory.
        let keyFile = scratch.path("keys/audit-key")
        let service = try SyncService(databasePath: data + "/rehabsync.sqlite", reference: F.reference(), auditKeyPath: keyFile,
                                      now: { F.utc(2026, 3, 1) })
        try F.february(service.store)
        let environment = ["REHABSYNC_DATA_DIR": data, "REHABSYNC_JOBS_DIR": ExportJobTests.repository.appendingPathComponent("Jobs").path,
                           "REHABSYNC_AUDIT_KEY_FILE": keyFile, "REHABSYNC_LOG_LEVEL": "critical"]
        let config = ExportJobTests.repository.appendingPathComponent("Config/rehabsync.json").path
        let dry = try Self.run(["export", "run", "--job", F.job, "--period", "2026-02", "--dry-run", "--config", config], environment: environment)
        #expect(dry.status == 0, "\(dry.errors)")
        #expect(try JSONParser.parse(dry.output).arrayValue?.count == 1)
        #expect(!FileManager.default.fileExists(atPath: data + "/audit-key"))
    }
}
