/// How sync retries: exponential backoff with full jitter on network errors and 5xx,
/// honouring Retry-After; never on other 4xx, which no retry can fix.
public struct RetryPolicy: Sendable, Hashable {
    public var maximumAttempts: Int
    public var initialDelaySeconds: Double
    public var maximumDelaySeconds: Double

    public init(maximumAttempts: Int = 5, initialDelaySeconds: Double = 0.5, maximumDelaySeconds: Double = 30) {
        self.maximumAttempts = maximumAttempts
        self.initialDelaySeconds = initialDelaySeconds
        self.maximumDelaySeconds = maximumDelaySeconds
    }

    /// The wait before attempt `attempt` (1 for the first retry): the server's Retry-After
    /// if it gave one, otherwise a random time up to the exponential bound.
    public func delay(beforeRetry attempt: Int, retryAfter: Int?, random: Double) -> Double {
        if let retryAfter { return min(Double(retryAfter), maximumDelaySeconds) }
        let bound = min(maximumDelaySeconds, initialDelaySeconds * Double(1 << min(attempt - 1, 20)))
        return bound * random
    }

    /// Whether an answer with this status is worth retrying.
    public static func isRetryable(status: Int) -> Bool {
        status >= 500 || status == 408 || status == 429
    }
}
