import Foundation
import RehabSyncCore
import RehabSyncReplica
import Testing

/// A replica always knows who uses it, and its settings can be changed after init.
struct ReplicaSettingsCommandTests {
    typealias E2E = ReplicaEndToEndTests

    @Test func initWithoutAClinicianIsAUsageErrorAndWritesNothing() throws {
        let world = try E2E.World(replicaCount: 0)
        let (_, token) = try world.server.service.enrol(name: "no clinician", units: [E2E.unit])
        let path = world.directory.appendingPathComponent("no-clinician.sqlite").path
        let result = try TestExecutables.runRehabsync(["replica", "init", "--db", path, "--server", "http://127.0.0.1:\(world.port)"],
                                                      environment: ["REHABSYNC_DEVICE_TOKEN": token])
        #expect(result.status == 2)
        #expect(result.errors.contains("--clinician"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func setChangesTheClinicianAndServerAndRefusesAnotherEnrolmentsToken() throws {
        let world = try E2E.World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let config = E2E.root.appendingPathComponent("Config").path
        let changed = try TestExecutables.runRehabsync(["replica", "set", "--db", path, "--config-dir", config,
                                                        "--clinician", "SE2321000016-N777", "--server", "http://127.0.0.1:\(world.port)/"])
        #expect(changed.status == 0, "\(changed.errors)")
        let settings = try world.replicas[0].settings()
        #expect(settings.clinician == "SE2321000016-N777")
        #expect(settings.server == "http://127.0.0.1:\(world.port)")
        // The new clinician is the author of the next write, and the replica still syncs.
        let written = try world.replicas[0].write(collection: "carePlans", id: "by-new", values: E2E.plan("New clinician"))
        #expect(try written.state()["title"]?.siblings.first?.author == "SE2321000016-N777")
        #expect(try world.replicas[0].sync().pushed == 1)
        // A token of another enrolment would mix two devices' bookkeeping: refused, unchanged.
        let (_, other) = try world.server.service.enrol(name: "other", units: [E2E.unit])
        let tokenFile = world.directory.appendingPathComponent("other-token").path
        try Data(other.utf8).write(to: URL(fileURLWithPath: tokenFile))
        let refused = try TestExecutables.runRehabsync(["replica", "set", "--db", path, "--config-dir", config, "--token-file", tokenFile])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("another enrolment"))
        #expect(try world.replicas[0].settings().token == world.tokens[0])
    }

    @Test("status, list and conflicts print aligned tables with Swedish times for --output table, and JSON without it")
    func tableOutputForAPerson() throws {
        let world = try E2E.World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let config = E2E.root.appendingPathComponent("Config").path
        _ = try world.replicas[0].write(collection: "carePlans", id: "plan-1", values: E2E.plan("Rehabiliteringsplan för Åsa"))
        _ = try world.replicas[0].sync()
        func run(_ words: [String]) throws -> String {
            let result = try TestExecutables.runRehabsync(["replica"] + words + ["--db", path, "--config-dir", config])
            #expect(result.status == 0, "\(words): \(result.errors)")
            return result.output
        }
        let status = try run(["status", "--output", "table"])
        #expect(status.hasPrefix("FIELD           VALUE\npending         0\n"), "\(status)")
        let lastSync = try #require(status.split(separator: "\n").first { $0.hasPrefix("last sync") })
        #expect(lastSync.wholeMatch(of: /last sync +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00/) != nil, "\(lastSync)")
        let list = try run(["list", "--output=table", "--collection", "carePlans"])
        #expect(list.hasPrefix("COLLECTION  ID      PATIENT"), "\(list)")
        #expect(list.contains("\ncarePlans   plan-1  "), "\(list)")
        #expect(try run(["conflicts", "--output", "table"]).hasPrefix("Conflicts:\nCOLLECTION  ID  FIELD  VALUE  AUTHOR  WRITTEN  DOT\n\nSet aside:\n"))
        #expect(try run(["status"]).hasPrefix("{"))
        let refused = try TestExecutables.runRehabsync(["replica", "status", "--db", path, "--output", "yaml"])
        #expect(refused.status == 2)
        #expect(refused.errors.contains("--output takes json or table, not 'yaml'"))
    }

    @Test("replica sync to a pipe writes a one-line summary of pushed and pulled on stderr, --quiet nothing, and stdout stays one JSON line")
    func syncProgressOnStandardError() throws {
        let world = try E2E.World(replicaCount: 2)
        let config = E2E.root.appendingPathComponent("Config").path
        for index in 0..<5 {
            _ = try world.replicas[1].write(collection: "carePlans", id: "pulled-\(index)", values: E2E.plan("Plan \(index)"))
        }
        _ = try world.replicas[1].sync()
        _ = try world.replicas[0].write(collection: "carePlans", id: "pushed", values: E2E.plan("Pushed"))
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let summarised = try TestExecutables.runRehabsync(["replica", "sync", "--db", path, "--config-dir", config])
        #expect(summarised.status == 0, "\(summarised.errors)")
        #expect(summarised.errors.wholeMatch(of: /sync: \d+ records in \d+(\.\d)?s( \(\d+ records\/s\))?: 1 pushed, \d+ pulled, 0 set aside\n/) != nil,
                "\(summarised.errors)")
        #expect(!summarised.errors.contains("\u{1B}"), "no redrawing without a terminal")
        let report = try #require(try JSONParser.parse(Array(summarised.output.utf8)).objectValue)
        // The five written elsewhere, and the device's own write as the server stored it.
        #expect(report["pushed"] == .integer(1) && report["pulled"] == .integer(6))
        #expect(summarised.errors.contains(": 1 pushed, 6 pulled, 0 set aside"))
        _ = try world.replicas[1].write(collection: "carePlans", id: "later", values: E2E.plan("Later"))
        _ = try world.replicas[1].sync()
        let quiet = try TestExecutables.runRehabsync(["replica", "sync", "--db", path, "--config-dir", config, "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.errors.isEmpty, "\(quiet.errors)")
        #expect(try JSONParser.parse(Array(quiet.output.utf8)).objectValue?["pulled"] == .integer(1))
    }
}
