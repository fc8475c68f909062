import Foundation
import RehabSyncCommandLine
import RehabSyncExport
import RehabSyncHTTP

/// `rehabsync register serve`: the reference national-register receiver, for tests and for
/// trying the export end to end before the real register's intake exists.
enum RegisterCommand {
    static let spec: CommandSpec = CommandSpec(group: "register", summary: "The reference national-register receiver (register serve --port P --data DIR).",
                                  subcommands: [
        CommandSpec("serve", summary: "Receive FHIR Bundles as the national register would, for tests and trials.", discussion: """
            Receives FHIR Bundles at POST /fhir/Bundle, checks them, stores each accepted one as a
            file under DIR and answers 201 (new key), 200 (same key, same content), 409 (same key,
            other content), 400/422 (invalid, with the reason). POST /control/fail-next
            {"count":N,"status":503,"retryAfterSeconds":S} and POST /control/slow
            {"count":N,"milliseconds":M} make it misbehave; GET /control/received lists what it holds.

            Port 0 picks a free port; the chosen port is printed as {"port":P}.
            """, options: [
                .value("port", "P", "the port to listen on (0 picks a free one)", required: true),
                .value("data", "DIR", "where accepted Bundles are stored", required: true),
                .value("host", "H", "the address to listen on (default 127.0.0.1)"),
            ], handler: run),
    ])

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let arguments = invocation.arguments
        guard let portText = arguments.value("port"), let port = Int(portText), (0...65_535).contains(port), let directory = arguments.value("data") else {
            throw CommandFailure.usage("register serve needs --port P and --data DIR")
        }
        let logger = Logger(label: "register")
        let receiver: RegisterReceiver
        do {
            receiver = try RegisterReceiver(directory: directory, host: arguments.value("host") ?? "127.0.0.1", port: port, logger: logger)
            let bound = try receiver.start()
            // Unbuffered, so a parent process reading the port does not wait for more output.
            FileHandle.standardOutput.write(Data("{\"port\":\(bound)}\n".utf8))
        } catch {
            throw CommandFailure.failed("cannot start the receiver: \(error)")
        }
        let watcher = SignalWatcher { _ in receiver.http.shutdown(gracePeriod: .seconds(2)) }
        receiver.http.waitUntilStopped()
        watcher.cancel()
    }
}
