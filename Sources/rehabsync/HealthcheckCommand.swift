import Foundation
import RehabSyncClient
import RehabSyncCommandLine

/// `rehabsync healthcheck`: asks a server's health route and exits 0 when it answers 200,
/// so that a container's HEALTHCHECK needs no curl in the image.
enum HealthcheckCommand {
    static let spec: CommandSpec = CommandSpec("healthcheck", summary: "Exit 0 when a server's /healthz answers 200 (for container health checks).",
                                  discussion: """
        GETs URL within 5 seconds; exit 0 on 200, 1 otherwise, with the reason on standard error.
        """, options: [.value("url", "URL", "the health route (default http://127.0.0.1:8088/healthz)")], handler: run)

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let arguments = invocation.arguments
        let url = arguments.value("url") ?? "http://127.0.0.1:8088/healthz"
        let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 5))
        let response: HTTPClientResponse
        do {
            response = try client.send("GET", url, headers: [:], body: nil)
        } catch {
            throw CommandFailure.failed("unhealthy: cannot reach \(url): \(error.message)")
        }
        guard response.status == 200 else {
            throw CommandFailure.failed("unhealthy: \(url) answered \(response.status)")
        }
    }
}
