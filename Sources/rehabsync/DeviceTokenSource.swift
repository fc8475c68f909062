import Foundation
import RehabSyncCommandLine

/// Where `replica init` gets the device token. A token on the command line shows in `ps`
/// and lands in shell history, so a file, standard input or the environment come first;
/// `--token` still works, with a warning.
enum DeviceTokenSource {
    /// The environment variable that may hold the token.
    static let environmentVariable = "REHABSYNC_DEVICE_TOKEN"

    static let usage = """
        The device token comes from --token-file FILE (FILE '-' is standard input),
        --token-stdin, or $\(environmentVariable); --token TOKEN also works but leaves the
        token in ps and shell history.
        """

    /// The token, trimmed of surrounding white space.
    ///
    /// - Parameters:
    ///   - readStandardInput: Reads standard input to its end.
    ///   - warn: Receives the warning about `--token`.
    static func token(_ arguments: Arguments, environment: [String: String],
                      readStandardInput: () -> Data = { FileHandle.standardInput.readDataToEndOfFile() },
                      warn: (String) -> Void = printError) throws -> String {
        let given = ["token-file", "token"].filter { arguments.value($0) != nil } + (arguments.has("token-stdin") ? ["token-stdin"] : [])
        guard given.count <= 1 else {
            throw CommandFailure.usage("give the token one way only, not \(given.map { "--\($0)" }.joined(separator: " and "))")
        }
        let text: String
        let source: String
        if let file = arguments.value("token-file"), file != "-" {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure.failed("cannot read the token file \(file)")
            }
            (text, source) = (String(decoding: data, as: UTF8.self), "the token file \(file)")
        } else if arguments.value("token-file") == "-" || arguments.has("token-stdin") {
            (text, source) = (String(decoding: readStandardInput(), as: UTF8.self), "standard input")
        } else if let token = arguments.value("token") {
            warn("rehabsync: warning: --token leaves the device token in ps and shell history; use --token-file, --token-stdin or \(environmentVariable)")
            (text, source) = (token, "--token")
        } else if let token = environment[environmentVariable] {
            (text, source) = (token, environmentVariable)
        } else {
            throw CommandFailure.usage("init needs the device token. \(usage)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CommandFailure.failed("no device token in \(source)") }
        return token
    }
}
