import Dispatch
@testable import RehabSyncHTTP

/// A configuration with short timeouts, so live tests stay fast and cannot hang.
func testConfiguration(_ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) -> HTTPServerConfiguration {
    var configuration = HTTPServerConfiguration(
        host: "127.0.0.1", port: 0, workerCount: 4, queueCapacity: 16,
        readTimeout: .seconds(1), requestTimeout: .seconds(1), idleTimeout: .seconds(1),
        writeTimeout: .seconds(1), closeLingerTimeout: .milliseconds(200))
    adjust(&configuration)
    return configuration
}

/// Starts a server on 127.0.0.1 and an ephemeral port; returns it with the port.
func startServer(
    _ adjust: (inout HTTPServerConfiguration) -> Void = { _ in },
    logger: Logger = Logger(label: "test", minimumLevel: .critical),
    handler: @escaping HTTPServer.Handler
) throws -> (server: HTTPServer, port: Int) {
    let server = HTTPServer(configuration: testConfiguration(adjust), logger: logger, handler: handler)
    try server.start()
    guard let port = server.boundPort else { throw HTTPServerError.notIdle }
    return (server, port)
}

/// Answers with the method, path and body it received.
let echoHandler: HTTPServer.Handler = { request in
    HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"],
                 body: Array("\(request.method) \(request.path) ".utf8) + request.body)
}

/// Waits on a semaphore for at most `timeout`; true if it was signalled. The default is
/// long: it ends only a failing test, and a busy machine must not make a passing one fail.
func wait(_ semaphore: DispatchSemaphore, timeout: Duration = .seconds(30)) -> Bool {
    semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .success
}

/// An error a handler throws whose text must never reach the client.
struct SecretError: Error, CustomStringConvertible {
    var description: String { "patient 19121212-1212 missing" }
}

/// An error that renders itself.
struct NotFound: HTTPResponseError {
    var response: HTTPResponse { .error(status: .notFound, code: "not_found", message: "No such record.") }
}

/// Polls `condition` until it holds or `timeout` passes; true if it held. For state that
/// only the server can see change (its counters), where there is nothing to wait on.
func waitUntil(timeout: Duration = .seconds(2), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        usleepMilliseconds(2)
    }
    return condition()
}
