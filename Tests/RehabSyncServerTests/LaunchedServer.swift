import Foundation
import RehabSyncClient
import RehabSyncCore

/// A `rehabsync serve` process on a port of its own choosing (port 0), with its stderr
/// read on a thread of its own for as long as it runs, so a chatty server never blocks
/// on a full pipe.
final class LaunchedServer: Sendable {
    let process: Process
    let port: Int
    /// Signalled once when the process has exited.
    private let exited: DispatchSemaphore

    /// Starts the server on `dataDirectory` and waits (at most 20 s) until it says where
    /// it listens. `port` 0 lets the system choose; a restart may ask again for the port
    /// the first start got, so that clients configured with its address find it again.
    init(dataDirectory: String, port requested: Int = 0) throws {
        let process = Process()
        process.executableURL = try TestExecutables.rehabsync()
        process.arguments = ["serve", "--config", TestExecutables.repositoryRoot.appendingPathComponent("Config/rehabsync.json").path]
        process.environment = ["REHABSYNC_LISTEN": "127.0.0.1:\(requested)", "REHABSYNC_DATA_DIR": dataDirectory,
                               "REHABSYNC_LOG_LEVEL": "notice", "REHABSYNC_MAX_CLOCK_DRIFT_SECONDS": "31536000"]
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        self.exited = exited
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let output = OutputBuffer.collecting(errors.fileHandleForReading)
        guard let found = output.firstMatch(of: #"address=127\.0\.0\.1:(\d+)"#, deadline: Date().addingTimeInterval(20),
                                            while: { process.isRunning })
        else {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            throw LaunchFailure(description: "rehabsync serve did not say where it listens: \(output.text)")
        }
        guard let number = Int(found.split(separator: ":").last ?? "") else {
            throw LaunchFailure(description: "rehabsync serve named no port: \(found)")
        }
        port = number
    }

    /// What a process wrote, as it arrives, and a way to wait for a line.
    final class OutputBuffer: @unchecked Sendable {
        // @unchecked: `buffer` is touched only under `condition`.
        private let condition = NSCondition()
        private var buffer = ""
        private var closed = false

        var text: String { condition.withLock { buffer } }

        /// A buffer filled from `handle` by a thread of its own until the end of the output.
        static func collecting(_ handle: FileHandle) -> OutputBuffer {
            let output = OutputBuffer()
            Thread {
                while true {
                    let chunk = handle.availableData
                    output.append(chunk)
                    if chunk.isEmpty { return }
                }
            }.start()
            return output
        }

        func append(_ chunk: Data) {
            condition.withLock {
                buffer += String(decoding: chunk, as: UTF8.self)
                if chunk.isEmpty { closed = true }
                condition.broadcast()
            }
        }

        /// Waits until the output has ended (the writer closed it); false at `deadline`.
        func waitForEnd(deadline: Date) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while !closed {
                guard condition.wait(until: deadline) else { return closed }
            }
            return true
        }

        /// The first match of `pattern`, waiting for more output until `deadline`, the
        /// end of the output, or `alive` turning false.
        func firstMatch(of pattern: String, deadline: Date, while alive: () -> Bool) -> String? {
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let range = buffer.range(of: pattern, options: .regularExpression) { return String(buffer[range]) }
                guard !closed, alive(), condition.wait(until: deadline) else { return nil }
            }
        }
    }

    struct LaunchFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// SIGKILL: no drain, no checkpoint, nothing the process could still do. Waits for it.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the orderly shutdown; returns false if it did not come
    /// within `deadline` seconds. The signal is sent again each second: libdispatch
    /// registers a signal source asynchronously, so a signal sent in the server's first
    /// moments can find it ignored and not yet observed; a repeated SIGTERM is harmless.
    @discardableResult
    func terminateAndWait(deadline seconds: Int = 20) -> Bool {
        for _ in 0..<seconds {
            guard process.isRunning else { break }
            Foundation.kill(process.processIdentifier, SIGTERM)
            if exited.wait(timeout: .now() + 1) == .success {
                exited.signal()
                break
            }
        }
        guard !process.isRunning else { return false }
        process.waitUntilExit()
        return true
    }

    /// Enrols a device for `unit` through the admin API.
    static func enrol(port: Int, adminToken: String, unit: String) throws -> (replica: ReplicaID, token: String) {
        let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 10))
        let response = try client.send("POST", "http://127.0.0.1:\(port)/v1/admin/devices", headers: ["Authorization": "Bearer \(adminToken)"],
                                       body: Array(#"{"name":"Laptop","units":["\#(unit)"]}"#.utf8))
        let body = try JSONParser.parse(response.body).objectValue
        guard let replica = body?["replicaId"]?.stringValue.flatMap(ReplicaID.init), let token = body?["token"]?.stringValue else {
            throw LaunchFailure(description: "enrolment failed: \(response.status) \(response.bodyText)")
        }
        return (replica, token)
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
