import Foundation
import RehabSyncServer
import Testing

/// One server per data directory, proven with real `rehabsync serve` processes.
struct DataDirectoryLockTests {
    @Test func aSecondServerOnTheSameDirectoryExitsNamingTheDirectoryAndTheHoldersPID() throws {
        let scratch = try ServerScratch()
        let data = scratch.path("data")
        let first = try ServerProcess.serve(dataDirectory: data)
        _ = try first.port()

        let second = try ServerProcess.serve(dataDirectory: data)
        #expect(second.waitForExit() == 1)
        #expect(second.log.contains("data directory \(data)"), "\(second.log)")
        #expect(second.log.contains("PID \(first.process.processIdentifier)"), "\(second.log)")
        #expect(first.process.isRunning)

        // The kernel drops the lock with its holder, even one killed with SIGKILL.
        kill(first.process.processIdentifier, SIGKILL)
        #expect(first.waitForExit() != nil)
        let third = try ServerProcess.serve(dataDirectory: data)
        #expect(try third.port() > 0)
    }

    @Test func aReleasedLockCanBeTakenAgainButAHeldOneCannot() throws {
        let scratch = try ServerScratch()
        let lock = try DataDirectoryLock(directory: scratch.path(""))
        #expect(throws: SettingsError.self) { try DataDirectoryLock(directory: scratch.path("")) }
        lock.release()
        #expect(throws: Never.self) { try DataDirectoryLock(directory: scratch.path("")) }
    }
}
