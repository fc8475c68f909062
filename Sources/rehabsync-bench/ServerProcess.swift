import Foundation
import RehabSyncClient
import RehabSyncCore
import Synchronization

/// `rehabsync serve` as its own process, so that its peak memory is measured apart from
/// the thousands of client sockets and threads the bench itself holds.
final class ServerProcess {
    let process = Process()
    let port: Int
    let adminToken: String
    let base: String

    /// Starts the server built next to this executable, with `settings` as
    /// `REHABSYNC_<NAME>` variables, and waits until it says where it listens.
    init(directory: URL, settings: [String: String]) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("rehabsync")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw BenchFailure("no rehabsync executable next to the bench at \(executable.path); build both")
        }
        process.executableURL = executable
        process.arguments = ["serve"]
        var environment = ProcessInfo.processInfo.environment
        environment["REHABSYNC_LISTEN"] = "127.0.0.1:0"
        environment["REHABSYNC_DATA_DIR"] = directory.appendingPathComponent("server").path
        environment["REHABSYNC_LOG_LEVEL"] = "notice"
        for (key, value) in settings { environment["REHABSYNC_" + key] = value }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()

        // The log is read on a thread for the whole run: a full pipe would block the server.
        let found = Mutex<Int?>(nil)
        let said = DispatchSemaphore(value: 0)
        let reader = errors.fileHandleForReading
        Thread {
            var log = ""
            while true {
                let data = reader.availableData
                if data.isEmpty { return }
                guard found.withLock({ $0 }) == nil else { continue }
                log += String(decoding: data, as: UTF8.self)
                if let range = log.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                    let port = Int(log[range].split(separator: ":").last ?? "") {
                    found.withLock { $0 = port }
                    said.signal()
                }
            }
        }.start()
        guard said.wait(timeout: .now() + 30) == .success, let port = found.withLock({ $0 }) else {
            process.terminate()
            throw BenchFailure("the server did not start")
        }
        self.port = port
        base = "http://127.0.0.1:\(port)"
        let tokenPath = directory.appendingPathComponent("server/admin-token").path
        adminToken = (try String(contentsOfFile: tokenPath, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's peak resident set size so far (VmHWM).
    func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Int(line.filter(\.isNumber)) ?? 0) * 1024
        }
        return 0
    }

    /// Enrols a device for `unit`.
    func enrol(unit: String, client: CurlHTTPClient) throws -> LoopbackServer.Device {
        try LoopbackServer.enrol(unit: unit, client: client, base: base, adminToken: adminToken)
    }

    /// SIGTERM, then waits for the exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
