import Foundation
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
}
