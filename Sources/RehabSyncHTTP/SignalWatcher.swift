#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Calls a closure once, on a Dispatch queue, when the process receives SIGTERM or SIGINT
/// (or the signals given), in the manner of swift-service-lifecycle.
///
/// Each signal is first set to `SIG_IGN`, so its default action (terminating the process)
/// no longer applies, and then observed through `DispatchSource.makeSignalSource`, so the
/// closure runs as ordinary code instead of inside an async-signal handler where almost
/// nothing is safe to call. Only the first signal calls the closure; later ones (a second
/// Ctrl-C) are ignored, so shutdown is not started twice. Keep the watcher alive for as
/// long as signals should be observed; after ``cancel()`` or deinit the signals stay ignored.
/// On Linux, libdispatch registers the source asynchronously: a signal arriving in the
/// first moments after `init` is ignored rather than observed (it cannot kill the process).
///
///     let watcher = SignalWatcher { signal in server.shutdown(gracePeriod: .seconds(10)) }
///     server.waitUntilStopped()
public final class SignalWatcher: Sendable {
    private let sources = Mutex<[any DispatchSourceSignal]>([])
    private let fired = Atomic<Bool>(false)
    private let handler: @Sendable (Int32) -> Void

    /// Starts watching.
    /// - Parameters:
    ///   - signals: the signals to watch; default SIGTERM and SIGINT.
    ///   - queue: where the closure runs; default a private serial queue.
    ///   - handler: called once with the number of the first signal received.
    public init(
        signals: [Int32] = [SIGTERM, SIGINT],
        queue: DispatchQueue = DispatchQueue(label: "rehabsync.signal-watcher"),
        handler: @escaping @Sendable (Int32) -> Void
    ) {
        self.handler = handler
        sources.withLock { sources in
            for signalNumber in signals {
                _ = signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { [weak self] in self?.fire(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    deinit {
        cancel()
    }

    /// Stops watching; the signals remain ignored.
    public func cancel() {
        let current = sources.withLock { sources -> [any DispatchSourceSignal] in
            defer { sources = [] }
            return sources
        }
        for source in current {
            source.cancel()
        }
    }

    private func fire(_ signalNumber: Int32) {
        guard fired.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        handler(signalNumber)
    }
}
