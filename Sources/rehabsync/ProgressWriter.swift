import Foundation
import RehabSyncCommandLine
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a ``ProgressReporter``'s text to standard error, with the monotonic clock and the
/// terminal check the reporter leaves out. Shared by the long commands (`admin backup`,
/// `export run` and `replica sync`); safe to call from any thread.
final class ProgressWriter: Sendable {
    /// `--quiet`, for every command that shows progress.
    static let quietOption = CommandOption.flag("quiet", "print no progress or summary on standard error")

    private let origin = ContinuousClock.now
    private let reporter: Mutex<ProgressReporter>

    /// - Parameter quiet: `--quiet`: write nothing at all.
    init(task: String, unit: String, quiet: Bool) {
        let display = ProgressReporter.Display(quiet: quiet, isTerminal: isatty(STDERR_FILENO) == 1)
        reporter = Mutex(ProgressReporter(task: task, unit: unit, display: display, startedAt: 0))
    }

    func update(done: Int, total: Int?) {
        let now = elapsedMilliseconds
        write(reporter.withLock { $0.update(done: done, total: total, at: now) })
    }

    func finish(detail: String? = nil) {
        let now = elapsedMilliseconds
        write(reporter.withLock { $0.finish(at: now, detail: detail) })
    }

    /// Ends a redrawn line before an error is printed.
    func abandon() {
        write(reporter.withLock { $0.abandon() })
    }

    private var elapsedMilliseconds: Int64 {
        let elapsed = origin.duration(to: .now).components
        return elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    private func write(_ text: String?) {
        guard let text else { return }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
