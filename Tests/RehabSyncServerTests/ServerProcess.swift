import Foundation
import Synchronization

/// A `rehabsync` process of the built executable, its standard error collected as it
/// arrives, killed with SIGKILL when the test lets go of it.
final class ServerProcess {
    let process = Process()
    private let collected = LogBuffer()
    private let errors = Pipe()

    static let root = TestExecutables.repositoryRoot

    /// Starts `rehabsync arguments…` with `environment`; with `umask`, through `sh` after
    /// `umask` sets it, the way an operator's shell would.
    init(_ arguments: [String], environment: [String: String], umask: String? = nil) throws {
        let executable = try TestExecutables.rehabsync().path
        if let umask {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$@\"", "sh", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = environment
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        errors.fileHandleForReading.readabilityHandler = { [collected] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            collected.text.withLock { $0 += text }
        }
        try process.run()
    }

    /// `rehabsync serve` with the shipped configuration on a free loopback port.
    static func serve(dataDirectory: String, umask: String? = nil, environment extra: [String: String] = [:]) throws -> ServerProcess {
        var environment = ["REHABSYNC_LISTEN": "127.0.0.1:0", "REHABSYNC_DATA_DIR": dataDirectory,
                           "REHABSYNC_MAX_CLOCK_DRIFT_SECONDS": "31536000"]
        environment.merge(extra) { $1 }
        return try ServerProcess(["serve", "--config", root.appendingPathComponent("Config/rehabsync.json").path],
                                 environment: environment, umask: umask)
    }

    /// Everything written to standard error so far.
    var log: String { collected.text.withLock { $0 } }

    /// Waits until the log matches `pattern` (a regular expression) and returns the match,
    /// or nil after `seconds`.
    func waitForLog(_ pattern: String, seconds: Double = 15) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = log
            if let range = text.range(of: pattern, options: .regularExpression) { return String(text[range]) }
            usleep(10_000)
        }
        return nil
    }

    /// The port the server says it listens on.
    func port() throws -> Int {
        guard let match = waitForLog(#"address=127\.0\.0\.1:\d+"#), let port = Int(match.split(separator: ":").last ?? "") else {
            throw ServerProcessError("the server did not say where it listens: \(log)")
        }
        return port
    }

    /// Waits up to `seconds` for the process to end; its exit status, or nil if it still runs.
    func waitForExit(seconds: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        errors.fileHandleForReading.readabilityHandler = nil
    }
}

/// Standard error as it arrives; shared with the pipe's reading handler.
final class LogBuffer: Sendable {
    let text = Mutex("")
}

struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
