@testable import RehabSyncHTTP
import Testing

struct RefusalLogSamplerTests {
    @Test func logsTheFirstRefusalAtOnceThenOneSummaryPerInterval() {
        let start = ContinuousClock.now
        var sampler = RefusalLogSampler(interval: .seconds(10))
        #expect(sampler.record("max_connections", at: start) == ["max_connections": 1])
        var lines = 0
        for millisecond in 1...9_999 {
            if sampler.record(millisecond % 2 == 0 ? "server_busy" : "max_connections", at: start + .milliseconds(millisecond)) != nil {
                lines += 1
            }
        }
        #expect(lines == 0)
        #expect(sampler.flush(at: start + .seconds(10)) == ["max_connections": 5_000, "server_busy": 4_999])
        #expect(sampler.flush(at: start + .seconds(30)) == nil)
    }
}
