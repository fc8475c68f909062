import Foundation
import RehabSyncCore
import RehabSyncReplica
import RehabSyncStorage
import Testing

struct KilledClientTests {
    typealias E2E = ReplicaEndToEndTests

    /// Audit entries the server has made for `device`: each push stored and each pull page
    /// delivered adds one, so a new one means a sync of that device is under way.
    static func auditEntries(_ world: E2E.World, device: String) throws -> Int64 {
        try world.server.service.store.database.read { connection in
            try connection.prepare("SELECT count(*) FROM audit WHERE device = ?").firstRow([.text(device)]) { $0.int64(at: 0) } ?? 0
        }
    }

    @Test func killingTheSyncingProcessOnceTheServerHasServedItLosesAndDuplicatesNothing() throws {
        let world = try E2E.World(replicaCount: 2)
        let (a, b) = (world.replicas[0], world.replicas[1])
        for number in 0..<400 { try a.write(collection: "carePlans", id: "p\(number)", values: E2E.plan("Plan \(number)")) }
        for number in 0..<50 { try b.write(collection: "carePlans", id: "b\(number)", values: E2E.plan("B \(number)")) }
        _ = try b.sync()
        let device = a.store.replicaID.description
        var killedMidSync = 0
        for _ in 0..<6 {
            let before = try Self.auditEntries(world, device: device)
            let process = Process()
            process.executableURL = try TestExecutables.rehabsync()
            process.arguments = ["replica", "sync", "--db", world.directory.appendingPathComponent("replica-0.sqlite").path,
                                 "--config-dir", E2E.root.appendingPathComponent("Config").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The kill comes as soon as the server has stored a push or delivered a page of
            // this sync, so it lands inside it; a sync with nothing left to exchange ends
            // on its own. Polled, with a deadline.
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, try Self.auditEntries(world, device: device) == before, Date() < deadline {
                usleepMilliseconds(1)
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal { killedMidSync += 1 }
            } else {
                process.waitUntilExit()
            }
        }
        print("KilledClientTests: \(killedMidSync) of 6 syncs killed after the server had served them")
        // The first sync has a push and a page to exchange, so at least it was cut short.
        #expect(killedMidSync >= 1)
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
