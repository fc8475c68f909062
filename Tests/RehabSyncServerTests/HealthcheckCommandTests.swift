import Foundation
import Testing

/// `rehabsync healthcheck`, which the container's HEALTHCHECK runs.
struct HealthcheckCommandTests {
    @Test func exitsZeroForAServerThatAnswersAndOneWhenNothingListens() throws {
        let scratch = try ServerScratch()
        let server = try ServerProcess.serve(dataDirectory: scratch.path("data"))
        let port = try server.port()
        let healthy = try ServerProcess(["healthcheck", "--url", "http://127.0.0.1:\(port)/healthz"], environment: [:])
        #expect(healthy.waitForExit() == 0, "\(healthy.log)")

        kill(server.process.processIdentifier, SIGKILL)
        #expect(server.waitForExit() != nil)
        let unhealthy = try ServerProcess(["healthcheck", "--url", "http://127.0.0.1:\(port)/healthz"], environment: [:])
        #expect(unhealthy.waitForExit() == 1)
        #expect(unhealthy.log.contains("unhealthy"))
    }
}
