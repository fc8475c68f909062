import Dispatch
import Foundation
import Synchronization

/// Paths the tests need outside their own code: built executables and the repository.
public enum TestExecutables {
    /// The repository's root directory (where `Config/` lives).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built `rehabsync` executable, next to the test bundle in the build folder.
    public static func rehabsync() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("rehabsync")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw POSIXError(.ENOENT)
    }

    /// Runs the built `rehabsync` with `arguments` and only `environment`: its exit status
    /// and both outputs.
    public static func runRehabsync(_ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, output: String, errors: String) {
        try runProcess(try rehabsync(), arguments, environment: environment)
    }

    /// A run still going at its deadline: it was killed, and the test fails with this.
    public struct ProcessTimeout: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs a program to completion: its exit status, standard output and standard error.
    /// A program still running after `deadline` seconds (a server that should have refused
    /// to start, say) is killed with SIGKILL and the run throws ``ProcessTimeout``.
    public static func runProcess(_ executable: URL, _ arguments: [String], directory: URL? = nil,
                                  environment: [String: String]? = nil,
                                  deadline: Double = 300) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let pid = process.processIdentifier
        // Set once the run has ended, under the lock the watchdog takes, so that a run that
        // ended in time is never reported as killed.
        let ended = Mutex((finished: false, killed: false))
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline) {
            ended.withLock { state in
                guard !state.finished else { return }
                state.killed = true
                kill(pid, SIGKILL)
            }
        }
        // Standard error is read on another thread, so neither pipe can fill and block the child.
        let errorText = Mutex("")
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            errorText.withLock { $0 = text }
            done.signal()
        }
        reader.start()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        done.wait()
        process.waitUntilExit()
        let killed = ended.withLock { state in
            state.finished = true
            return state.killed
        }
        if killed {
            throw ProcessTimeout(description: "\(executable.lastPathComponent) \(arguments) still ran after \(deadline) s and was killed; "
                + "standard error: \(errorText.withLock { $0 })")
        }
        return (process.terminationStatus, text, errorText.withLock { $0 })
    }
}
