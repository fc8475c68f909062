import Foundation
import RehabSyncClient
import RehabSyncCommandLine

/// `rehabsync healthcheck`: asks a server's health route and exits 0 when it answers 200,
/// so that a container's HEALTHCHECK needs no curl in the image.
enum HealthcheckCommand {
    static let usage = """
        Usage: rehabsync healthcheck [--url URL]

        GETs URL (default http://127.0.0.1:8088/healthz) within 5 seconds; exit 0 on 200,
        1 otherwise, with the reason on stderr.
        """

    static func run(_ words: [String]) throws {
        let arguments: Arguments
        do {
            arguments = try Arguments(words, valued: ["url"], switches: ["help"])
        } catch {
            throw CommandFailure.usage("\(error)\n\n\(usage)")
        }
        if arguments.has("help") {
            print(usage)
            return
        }
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
