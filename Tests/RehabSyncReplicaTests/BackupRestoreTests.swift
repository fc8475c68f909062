import Dispatch
import Foundation
import RehabSyncCore
import RehabSyncReplica
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// `rehabsync admin backup` while devices sync, `admin restore`, and devices resyncing to
/// the same dumps as the restored server.
struct BackupRestoreTests {
    typealias E2E = ReplicaEndToEndTests

    /// Runs the built `rehabsync` and returns its exit status and standard error.
    static func rehabsync(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let result = try TestExecutables.runRehabsync(arguments)
        return (result.status, result.errors)
    }

    static func lines(_ dump: [UInt8]) -> Int { dump.filter { $0 == 0x0A }.count }

    @Test func aBackupTakenWhileADeviceSyncsRestoresAndDevicesResyncToTheServersDump() throws {
        let world = try E2E.World(replicaCount: 2)
        let (a, b) = (world.replicas[0], world.replicas[1])
        let serverDirectory = world.directory.appendingPathComponent("server").path
        for number in 0..<20 { try a.write(collection: "carePlans", id: "early-\(number)", values: E2E.plan("Early \(number)")) }
        _ = try a.sync()
        _ = try b.sync()

        // A keeps writing and syncing while the backup is taken.
        let stop = Atomic<Bool>(false)
        let syncs = Atomic<Int>(0)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            var number = 0
            while !stop.load(ordering: .acquiring) {
                _ = try? a.write(collection: "carePlans", id: "during-\(number)", values: E2E.plan("During \(number)"))
                if (try? a.sync()) != nil { syncs.add(1, ordering: .releasing) }
                number += 1
            }
            finished.signal()
        }.start()
        let deadline = Date().addingTimeInterval(20)
        while syncs.load(ordering: .acquiring) < 2, Date() < deadline { usleep(5_000) }
        let backup = world.directory.appendingPathComponent("backup.sqlite").path
        let backedUp = try Self.rehabsync(["admin", "backup", "--to", backup, "--data-dir", serverDirectory])
        let syncsDuringBackup = syncs.load(ordering: .acquiring)
        stop.store(true, ordering: .releasing)
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(backedUp.status == 0, "\(backedUp.errors)")
        #expect(syncsDuringBackup >= 2)
        #expect(try FilePermissionMode.of(backup) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: backup + "-wal"))

        // Work after the backup, acknowledged by the server and then lost with it.
        for number in 0..<5 { try a.write(collection: "carePlans", id: "after-a-\(number)", values: E2E.plan("After A \(number)")) }
        _ = try a.sync()
        _ = try b.sync()
        for number in 0..<3 { try b.write(collection: "carePlans", id: "after-b-\(number)", values: E2E.plan("After B \(number)")) }
        try b.write(collection: "carePlans", id: "early-0", values: ["summary": .string("changed by B after the backup")])
        _ = try b.sync()
        _ = try a.sync()
        let before = try world.serverDump()
        let (sequenceBefore, replicaBefore) = try world.server.service.store.read { queries in
            let state = try queries.clockState()
            return (state.sequence, state.replicaID)
        }

        world.stopServer()
        let restored = try Self.rehabsync(["admin", "restore", "--from", backup, "--data-dir", serverDirectory])
        #expect(restored.status == 0, "\(restored.errors)")
        try world.restartServer()
        let (sequenceAfter, replicaAfter) = try world.server.service.store.read { queries in
            let state = try queries.clockState()
            return (state.sequence, state.replicaID)
        }
        #expect(replicaAfter != replicaBefore, "a restored server writes under a new replica id")
        #expect(sequenceAfter > sequenceBefore, "a restored server numbers changes past every cursor handed out")
        #expect(Self.lines(try world.serverDump()) < Self.lines(before), "the restore lost the later work, as a real one would")

        #expect(try a.resyncAfterServerRestore() > 0)
        #expect(try b.resyncAfterServerRestore() > 0)
        // A also holds B's later writes, which the server takes from B first; a second
        // round carries what was refused in the first.
        for _ in 0..<2 {
            _ = try? a.sync()
            _ = try? b.sync()
        }
        #expect(try a.sync().digestMatches)
        #expect(try b.sync().digestMatches)
        let after = try world.serverDump()
        #expect(after == before)
        #expect(try a.dump() == after)
        #expect(try b.dump() == after)
        #expect(try a.pendingCount() == 0)

        // A write after the restore reaches the other device: its number is past B's cursor.
        try a.write(collection: "carePlans", id: "after-restore", values: E2E.plan("After restore"))
        _ = try a.sync()
        _ = try b.sync()
        #expect(try b.record(collection: "carePlans", id: "after-restore") != nil)
    }

    @Test func restoreRefusesWhileAServerHoldsTheDataDirectory() throws {
        let world = try E2E.World(replicaCount: 0)
        let serverDirectory = world.directory.appendingPathComponent("server").path
        let backup = world.directory.appendingPathComponent("backup.sqlite").path
        #expect(try Self.rehabsync(["admin", "backup", "--to", backup, "--data-dir", serverDirectory]).status == 0)
        let refused = try Self.rehabsync(["admin", "restore", "--from", backup, "--data-dir", serverDirectory])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("is using the data directory"))
        let again = try Self.rehabsync(["admin", "backup", "--to", backup, "--data-dir", serverDirectory])
        #expect(again.status == 1, "a backup never overwrites a file")
    }

    @Test("A backup to a pipe writes only a one-line summary on stderr, --quiet not even that, and stdout stays one JSON line")
    func backupProgressOnStandardError() throws {
        let world = try E2E.World(replicaCount: 0)
        let serverDirectory = world.directory.appendingPathComponent("server").path
        let first = world.directory.appendingPathComponent("first.sqlite").path
        let summarised = try TestExecutables.runRehabsync(["admin", "backup", "--to", first, "--data-dir", serverDirectory])
        #expect(summarised.status == 0, "\(summarised.errors)")
        #expect(summarised.errors.wholeMatch(of: /backup: \d+ pages in \d+(\.\d)?s( \(\d+ pages\/s\))?, \d+ bytes to .*first\.sqlite\n/) != nil,
                "\(summarised.errors)")
        #expect(!summarised.errors.contains("\u{1B}"), "no redrawing without a terminal")
        #expect(try JSONParser.parse(Array(summarised.output.utf8)).objectValue?["backup"] == .string(first))
        let second = world.directory.appendingPathComponent("second.sqlite").path
        let quiet = try TestExecutables.runRehabsync(["admin", "backup", "--to", second, "--data-dir", serverDirectory, "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.errors.isEmpty, "\(quiet.errors)")
    }
}

enum FilePermissionMode {
    static func of(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
