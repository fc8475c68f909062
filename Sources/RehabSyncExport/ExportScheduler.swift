import Dispatch
import Foundation
import RehabSyncHTTP
import Synchronization

/// Runs due export jobs inside `rehabsync serve`: once at start-up (catching up runs missed
/// while the server was down), then at each job's next run, waking at least every
/// ``recheckMilliseconds`` so an incomplete delivery is retried and a changed wall clock is
/// noticed. It runs on a thread of its own, since runs block on SQLite and libcurl.
public final class ExportScheduler: Sendable {
    public static let recheckMilliseconds: Int64 = 15 * 60_000

    let exporter: RegisterExporter
    let now: @Sendable () -> Int64
    private let wake = DispatchSemaphore(value: 0)
    private let caughtUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Mutex(false)
    private let started = Mutex(false)

    public init(exporter: RegisterExporter, now: @escaping @Sendable () -> Int64) {
        self.exporter = exporter
        self.now = now
    }

    /// Starts the scheduler's thread; the first thing it does is the catch-up.
    public func start() {
        guard !started.withLock({ state in defer { state = true }; return state }) else { return }
        Thread.detachNewThread { [self] in
            exporter.runDue(at: now())
            caughtUp.signal()
            while !stopping.withLock({ $0 }) {
                let current = now()
                let next = exporter.nextRun(after: current) ?? current + Self.recheckMilliseconds
                let wait = max(1, min(next - current, Self.recheckMilliseconds))
                if wake.wait(timeout: .now() + .milliseconds(Int(wait))) == .success { continue }
                exporter.runDue(at: now())
            }
            finished.signal()
        }
    }

    /// Waits until the start-up catch-up has finished; false when `timeout` passed first.
    public func waitUntilCaughtUp(timeout: Duration) -> Bool {
        let milliseconds = Int(timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard caughtUp.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return false }
        caughtUp.signal()
        return true
    }

    /// Asks the thread to stop and waits for it (a run in progress finishes first).
    public func stop() {
        stopping.withLock { $0 = true }
        wake.signal()
        guard started.withLock({ $0 }) else { return }
        finished.wait()
        finished.signal()
    }
}
