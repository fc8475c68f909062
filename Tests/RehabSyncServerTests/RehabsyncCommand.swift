import Foundation

/// One run of the built `rehabsync` executable as an operator or a cron job runs it: its
/// own process, standard output and error collected, within a deadline.
enum RehabsyncCommand {
    struct Result {
        let status: Int32
        let output: String
        let errors: String
        /// Killed by a signal rather than exiting.
        let signalled: Bool
    }

    /// Starts `rehabsync arguments…` and returns the running process with its collected
    /// output, for a test that kills it part-way.
    static func start(_ arguments: [String], environment: [String: String] = [:])
        throws -> (process: Process, output: LaunchedServer.OutputBuffer, errors: LaunchedServer.OutputBuffer) {
        let process = Process()
        process.executableURL = try TestExecutables.rehabsync()
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, .collecting(output.fileHandleForReading), .collecting(errors.fileHandleForReading))
    }

    /// Runs `rehabsync arguments…` to its end; a run past `seconds` is killed and throws.
    static func run(_ arguments: [String], environment: [String: String] = [:], deadline seconds: Double = 60) throws -> Result {
        let (process, output, errors) = try start(arguments, environment: environment)
        return try finish(process, output: output, errors: errors, deadline: seconds)
    }

    /// Waits for a started run to end; one still running after `seconds` is killed and throws.
    static func finish(_ process: Process, output: LaunchedServer.OutputBuffer, errors: LaunchedServer.OutputBuffer,
                       deadline seconds: Double) throws -> Result {
        let deadline = Date().addingTimeInterval(seconds)
        // The pipes end when the process exits (it holds their write ends), or at the deadline.
        guard output.waitForEnd(deadline: deadline), errors.waitForEnd(deadline: deadline) else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw LaunchedServer.LaunchFailure(description: "rehabsync \(process.arguments ?? []) still ran after \(seconds) s: \(errors.text)")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: output.text, errors: errors.text,
                      signalled: process.terminationReason == .uncaughtSignal)
    }
}
