import Dispatch
import Foundation
import Synchronization
import RehabSyncStorage

/// The database file inside a test's temporary directory.
func databasePath(in directory: URL) -> String {
    directory.appendingPathComponent("test.sqlite").path
}

/// A one-table schema most pool tests share.
let counterMigrator = Migrator([
    Migration(version: 1, name: "create counter") { connection in
        try connection.execute(
            "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
    },
])

/// An error thrown on purpose by test bodies.
struct DeliberateFailure: Error, Equatable {}

/// Counts calls from `@Sendable` closures.
final class CallCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Runs `work` on a new thread and blocks until it has finished, rethrowing its error.
/// A dedicated thread (rather than a Dispatch or Swift concurrency queue) cannot be starved
/// by the blocked caller.
func runOnAnotherThread(_ work: @escaping @Sendable () throws -> Void) throws {
    let outcome = Mutex<Result<Void, any Error>?>(nil)
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        let result = Result { try work() }
        outcome.withLock { $0 = result }
        finished.signal()
    }
    thread.start()
    finished.wait()
    try outcome.withLock { $0 }?.get()
}

/// Reads the single counter row's value.
func counterValue(_ connection: Connection) throws -> Int64? {
    try connection.cachedStatement("SELECT value FROM counter WHERE id = 1")
        .firstRow { $0.int64(at: 0) }
}
