import Foundation
import RehabSyncClient
import RehabSyncCore

/// `rehabsync register serve` (the reference national register) as its own process on a
/// port of its choosing, storing what it accepts under `directory`; SIGKILLed when the test
/// lets go of it.
final class ReferenceRegisterProcess {
    let process: Process
    let directory: String
    let port: Int
    private let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 10))

    /// The URL deliveries go to.
    var bundleURL: String { "http://127.0.0.1:\(port)/fhir/Bundle" }

    /// Starts the receiver and waits (at most 20 s) until it prints its port.
    init(directory: String) throws {
        self.directory = directory
        let (process, output, errors) = try RehabsyncCommand.start(["register", "serve", "--port", "0", "--data", directory])
        self.process = process
        guard let found = output.firstMatch(of: #""port":[0-9]+"#, deadline: Date().addingTimeInterval(20), while: { process.isRunning }),
              let number = Int(found.split(separator: ":").last ?? "")
        else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw LaunchedServer.LaunchFailure(description: "rehabsync register serve named no port: \(errors.text)")
        }
        port = number
    }

    /// `POST /control/…` with a JSON body: makes the next deliveries fail or answer slowly.
    func control(_ name: String, _ body: String) throws {
        let response = try client.send("POST", "http://127.0.0.1:\(port)/control/\(name)", headers: ["Content-Type": "application/json"],
                                       body: Array(body.utf8))
        guard response.status == 200 else { throw LaunchedServer.LaunchFailure(description: "control/\(name): \(response.status)") }
    }

    /// `GET /control/received`: the accepted keys, the answers given, the deliveries seen.
    func received() throws -> (accepted: [JSONValue], answers: [String: Int], requests: Int) {
        let response = try client.send("GET", "http://127.0.0.1:\(port)/control/received", headers: [:], body: [])
        guard let object = try JSONParser.parse(response.body).objectValue else {
            throw LaunchedServer.LaunchFailure(description: "control/received: \(response.bodyText)")
        }
        let answers = (object["answers"]?.objectValue ?? [:]).compactMapValues { $0.integerValue.map { Int($0) } }
        return (object["accepted"]?.arrayValue ?? [], answers, Int(object["requests"]?.integerValue ?? 0))
    }

    /// Waits until the receiver has seen more than `count` deliveries (it counts one as it
    /// arrives, before answering), while `alive` holds; false at the deadline.
    func waitForRequests(moreThan count: Int, deadline seconds: Double, while alive: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, alive() {
            if try received().requests > count { return true }
            usleepMilliseconds(5)
        }
        return try received().requests > count
    }

    /// The idempotency key of every Bundle stored under the data directory, one per file.
    func storedKeys() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted().map { name in
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            guard let key = try JSONParser.parse(bytes).objectValue?["identifier"]?.objectValue?["value"]?.stringValue else {
                throw LaunchedServer.LaunchFailure(description: "stored bundle \(name) has no identifier")
            }
            return key
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
