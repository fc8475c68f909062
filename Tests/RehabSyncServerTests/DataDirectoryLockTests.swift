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
        // Another test starting a process at this moment may hold a copy of the descriptor
        // between its fork and its exec (O_CLOEXEC drops it at the exec): the lock is free
        // again within that moment, so the retake has a deadline rather than one chance.
        let deadline = Date().addingTimeInterval(5)
        var retaken: DataDirectoryLock?
        var lastError: (any Error)?
        while retaken == nil, Date() < deadline {
            do { retaken = try DataDirectoryLock(directory: scratch.path("")) } catch { lastError = error }
        }
        #expect(retaken != nil, "the released lock was never free again: \(String(describing: lastError))")
    }
}
