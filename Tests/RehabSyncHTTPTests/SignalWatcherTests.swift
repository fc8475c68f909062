#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import RehabSyncHTTP
import Synchronization
import Testing

struct SignalWatcherTests {
    /// Real-time signals this test has used in this process, counted down from the last.
    private static let used = Atomic<Int32>(0)

    /// A signal no other part of the test process reacts to, and new to this process: a
    /// watcher's signal stays ignored after it is cancelled, and libdispatch on Linux does
    /// not deliver a signal to a second source once the first was cancelled, so a suite
    /// repeated in one process (`--repetitions`) needs a fresh one each time.
    private static func freshSignal() -> Int32 {
        let offset = used.add(1, ordering: .relaxed).oldValue
        let signal = __libc_current_sigrtmax() - offset
        precondition(signal >= __libc_current_sigrtmin(), "more repetitions than real-time signals")
        return signal
    }

    @Test func callsTheClosureOnceForTheFirstSignal() {
        let watched = Self.freshSignal()
        let calls = Mutex<[Int32]>([])
        let called = DispatchSemaphore(value: 0)
        let watcher = SignalWatcher(signals: [watched]) { signal in
            calls.withLock { $0.append(signal) }
            called.signal()
        }
        // libdispatch registers the source asynchronously, and a signal arriving before
        // that is ignored, so keep signalling until the first one lands. Each later
        // signal must be swallowed.
        var delivered = false
        for _ in 0..<40 where !delivered {
            kill(getpid(), watched)
            delivered = wait(called, timeout: .milliseconds(50))
        }
        #expect(delivered)
        kill(getpid(), watched)
        usleepMilliseconds(100)
        #expect(calls.withLock { $0 } == [watched])
        watcher.cancel()
    }
}
