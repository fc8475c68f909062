/// Decides when a refused or overloaded connection is worth a log line. Under overload
/// refusals come by the thousand per second; one line each would turn stderr into the
/// bottleneck. The first refusal after a quiet spell is logged at once, then at most one
/// summary line per interval carrying how many were refused meanwhile; `/metrics` has the
/// exact counts.
struct RefusalLogSampler: Sendable {
    /// The shortest time between two lines.
    let interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed: [String: Int] = [:]

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Records one refusal; returns the counts by reason to log now (this one included),
    /// or nil while the interval lasts.
    mutating func record(_ reason: String, at now: ContinuousClock.Instant) -> [String: Int]? {
        suppressed[reason, default: 0] += 1
        return flush(at: now)
    }

    /// The counts gathered since the last line, when the interval is over and there are some.
    mutating func flush(at now: ContinuousClock.Instant) -> [String: Int]? {
        guard !suppressed.isEmpty else { return nil }
        if let lastLogged, now - lastLogged < interval { return nil }
        lastLogged = now
        defer { suppressed = [:] }
        return suppressed
    }
}
