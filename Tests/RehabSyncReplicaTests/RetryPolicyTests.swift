import RehabSyncReplica
import Testing

struct RetryPolicyTests {
    let policy = RetryPolicy(maximumAttempts: 5, initialDelaySeconds: 0.5, maximumDelaySeconds: 30)

    @Test func backsOffExponentiallyWithFullJitterUpToTheCap() {
        #expect(policy.delay(beforeRetry: 1, retryAfter: nil, random: 1) == 0.5)
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, random: 1) == 2)
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, random: 0.25) == 0.5)
        #expect(policy.delay(beforeRetry: 20, retryAfter: nil, random: 1) == 30)
    }

    @Test func honoursRetryAfterWithinTheCap() {
        #expect(policy.delay(beforeRetry: 1, retryAfter: 7, random: 0) == 7)
        #expect(policy.delay(beforeRetry: 1, retryAfter: 3_600, random: 0) == 30)
    }

    @Test(arguments: [(500, true), (503, true), (408, true), (429, true), (400, false), (401, false), (403, false), (422, false)])
    func retriesServerTroubleButNotRefusals(status: Int, retryable: Bool) {
        #expect(RetryPolicy.isRetryable(status: status) == retryable)
    }
}
