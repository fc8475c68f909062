/// Progress of long work for standard error, as a state machine with no I/O and no clock
/// of its own: it is fed counts and the time, and answers the text to write.
///
/// On a terminal it redraws one line (done, total, rate, time left) at most every
/// ``minimumRedrawMilliseconds`` and ends with a one-line summary; elsewhere (a pipe, a
/// log file) it writes only the summary, and with `--quiet` nothing. Standard output, where
/// scripts read the JSON, is never touched.
public struct ProgressReporter: Sendable {
    /// What the reporter may write.
    public enum Display: Sendable, Hashable {
        /// Redrawn progress and the summary (standard error is a terminal).
        case terminal
        /// Only the summary (standard error is a pipe or a file).
        case summaryOnly
        /// Nothing (`--quiet`).
        case silent

        /// The display for `--quiet` and whether standard error is a terminal.
        public init(quiet: Bool, isTerminal: Bool) {
            self = quiet ? .silent : isTerminal ? .terminal : .summaryOnly
        }
    }

    /// At most four redraws a second: enough to look alive, not enough to cost anything.
    public static let minimumRedrawMilliseconds: Int64 = 250
    /// Returns to the start of the line and clears it, before a redraw.
    static let clearLine = "\r\u{1B}[K"

    /// What is being done, such as `backup`.
    public let task: String
    /// What is counted, such as `pages`.
    public let unit: String
    public let display: Display
    private let startedAt: Int64
    private var lastDrawAt: Int64?
    private var done = 0
    private var total: Int?

    /// - Parameter startedAt: The time the work started, in milliseconds of any monotonic clock.
    public init(task: String, unit: String, display: Display, startedAt: Int64) {
        self.task = task
        self.unit = unit
        self.display = display
        self.startedAt = startedAt
    }

    /// Records `done` (of `total`, when known) at `now`; returns the redraw to write, if it is time.
    public mutating func update(done: Int, total: Int?, at now: Int64) -> String? {
        self.done = done
        self.total = total
        guard display == .terminal else { return nil }
        if let lastDrawAt, now - lastDrawAt < Self.minimumRedrawMilliseconds { return nil }
        lastDrawAt = now
        return Self.clearLine + progressLine(at: now)
    }

    /// The summary to write when the work is done (`detail` is added after it), replacing a
    /// redrawn line; nil when silent.
    public mutating func finish(at now: Int64, detail: String? = nil) -> String? {
        guard display != .silent else { return nil }
        let elapsed = max(0, now - startedAt)
        var text = "\(task): \(done) \(unit) in \(Self.duration(milliseconds: elapsed))"
        if let rate = rate(at: now) { text += " (\(rate) \(unit)/s)" }
        if let detail { text += detail }
        return (lastDrawAt == nil ? "" : Self.clearLine) + text + "\n"
    }

    /// What ends a redrawn line when the work fails, so the error starts on a line of its own.
    public func abandon() -> String? {
        lastDrawAt == nil ? nil : "\n"
    }

    /// `backup: 1200/5000 pages (24%), 3400 pages/s, about 2s left`.
    func progressLine(at now: Int64) -> String {
        var text = "\(task): \(done)"
        if let total, total > 0 {
            text += "/\(total) \(unit) (\(done * 100 / total)%)"
        } else {
            text += " \(unit)"
        }
        if let rate = rate(at: now) {
            text += ", \(rate) \(unit)/s"
            if let total, total >= done, rate > 0 {
                let left = Int64(total - done) * 1_000 / Int64(rate)
                text += ", about \(Self.duration(milliseconds: left)) left"
            }
        }
        return text
    }

    /// Units per second so far, once a measurable time has passed.
    private func rate(at now: Int64) -> Int? {
        let elapsed = now - startedAt
        guard elapsed > 0 else { return nil }
        return Int(Int64(done) * 1_000 / elapsed)
    }

    /// `0.4s`, `12s`, `3m05s`, `1h02m`.
    static func duration(milliseconds: Int64) -> String {
        let seconds = milliseconds / 1_000
        if seconds < 10 { return "\(seconds).\(milliseconds % 1_000 / 100)s" }
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3_600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        return "\(seconds / 3_600)h\(twoDigits(seconds % 3_600 / 60))m"
    }

    private static func twoDigits(_ number: Int64) -> String { number < 10 ? "0\(number)" : "\(number)" }
}
