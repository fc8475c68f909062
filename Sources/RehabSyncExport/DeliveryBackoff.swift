/// How long to wait before the next try of a delivery: exponential backoff with jitter,
/// or what the register asked for in `Retry-After` (capped, so a confused register cannot
/// park a run for a day). Pure; the caller supplies the random fraction.
public struct DeliveryBackoff: Hashable, Sendable {
    public var initialMilliseconds: Int64
    public var maximumMilliseconds: Int64

    public init(initialMilliseconds: Int64, maximumMilliseconds: Int64) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The wait after failed try number `attempt` (1-based). `jitter` in 0..<1 spreads
    /// retries of many servers over the second half of the interval ("equal jitter").
    public func delay(afterAttempt attempt: Int, retryAfterSeconds: Int?, jitter: Double) -> Int64 {
        if let retryAfterSeconds, retryAfterSeconds >= 0 {
            return min(Int64(retryAfterSeconds) * 1_000, maximumMilliseconds)
        }
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(initialMilliseconds << Int64(exponent), maximumMilliseconds)
        let fraction = min(max(jitter, 0), 1)
        return ceiling / 2 + Int64(Double(ceiling / 2) * fraction)
    }
}
