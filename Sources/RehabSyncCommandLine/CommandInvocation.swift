/// What a command's handler receives once the table has resolved the words: which command
/// it is, its parsed options (every required one present, every value in its choices) and
/// the environment.
public struct CommandInvocation {
    /// The command words after the program's name, such as `["admin", "audit", "verify"]`.
    public let path: [String]
    public let arguments: Arguments
    public let environment: [String: String]

    public init(path: [String], arguments: Arguments, environment: [String: String]) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
    }

    /// The words after the top-level command (`"audit verify"` for `admin audit verify`).
    public var subcommand: String { path.dropFirst().joined(separator: " ") }
}
