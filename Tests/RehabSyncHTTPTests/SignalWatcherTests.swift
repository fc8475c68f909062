#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import RehabSyncHTTP
import Synchronization
import Testing

struct SignalWatcherTests {
    @Test func callsTheClosureOnceForTheFirstSignal() {
        // SIGUSR2 rather than SIGTERM, so nothing else in the test process reacts to it.
        let calls = Mutex<[Int32]>([])
        let called = DispatchSemaphore(value: 0)
        let watcher = SignalWatcher(signals: [SIGUSR2]) { signal in
            calls.withLock { $0.append(signal) }
            called.signal()
        }
        // libdispatch registers the source asynchronously, and a signal arriving before
        // that is ignored, so keep signalling until the first one lands. Each later
        // signal must be swallowed.
        var delivered = false
        for _ in 0..<40 where !delivered {
            kill(getpid(), SIGUSR2)
            delivered = wait(called, timeout: .milliseconds(50))
        }
        #expect(delivered)
        kill(getpid(), SIGUSR2)
        usleepMilliseconds(100)
        #expect(calls.withLock { $0 } == [SIGUSR2])
        watcher.cancel()
    }
}
