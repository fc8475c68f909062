import Foundation
import RehabSyncCore
import RehabSyncReplica
import Testing

struct KilledClientTests {
    typealias E2E = ReplicaEndToEndTests

    /// The built `rehabsync` executable, next to the test bundle in the build folder.
    static func executable() throws -> URL {
        try TestExecutables.rehabsync()
    }

    @Test func killingTheSyncingProcessAtRandomMomentsLosesAndDuplicatesNothing() throws {
        let world = try E2E.World(replicaCount: 2)
        let (a, b) = (world.replicas[0], world.replicas[1])
        for number in 0..<400 { try a.write(collection: "carePlans", id: "p\(number)", values: E2E.plan("Plan \(number)")) }
        for number in 0..<50 { try b.write(collection: "carePlans", id: "b\(number)", values: E2E.plan("B \(number)")) }
        _ = try b.sync()
        var generator = SplitMix64(seed: 5)
        for _ in 0..<6 {
            let process = Process()
            process.executableURL = try Self.executable()
            process.arguments = ["replica", "sync", "--db", world.directory.appendingPathComponent("replica-0.sqlite").path,
                                 "--config-dir", E2E.root.appendingPathComponent("Config").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: Double(generator.next() % 120) / 1_000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let report = try a.sync()
        #expect(report.digestMatches)
        _ = try b.sync()
        let server = try world.serverDump()
        #expect(server.filter { $0 == 0x0A }.count == 450)
        #expect(try a.dump() == server)
        #expect(try b.dump() == server)
        #expect(try a.pendingCount() == 0)
    }
}
