import Foundation
import RehabSyncCommandLine
import RehabSyncExport
import RehabSyncHTTP

/// `rehabsync register serve`: the reference national-register receiver, for tests and for
/// trying the export end to end before the real register's intake exists.
enum RegisterCommand {
    static let usage = """
        Usage: rehabsync register serve --port P --data DIR [--host H]

        Receives FHIR Bundles at POST /fhir/Bundle, checks them, stores each accepted one as a
        file under DIR and answers 201 (new key), 200 (same key, same content), 409 (same key,
        other content), 400/422 (invalid, with the reason). POST /control/fail-next
        {"count":N,"status":503,"retryAfterSeconds":S} and POST /control/slow
        {"count":N,"milliseconds":M} make it misbehave; GET /control/received lists what it holds.
        Port 0 picks a free port; the chosen port is printed as {"port":P}.
        """

    static func run(_ words: [String], environment: [String: String]) throws {
        guard words.first == "serve" else {
            print(usage)
            if words.first == "--help" || words.first == "help" { return }
            throw CommandFailure.usage("register takes 'serve'")
        }
        let arguments: Arguments
        do {
            arguments = try Arguments(Array(words.dropFirst()), valued: ["port", "data", "host"], switches: ["help"])
        } catch {
            throw CommandFailure.usage("\(error)\n\n\(usage)")
        }
        if arguments.has("help") {
            print(usage)
            return
        }
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
