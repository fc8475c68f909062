/// One command of the command table: a group (`replica`, `admin audit`) that only holds
/// subcommands, or a leaf with a handler. The whole program is one tree of these; parsing,
/// every `--help`, the usage lines and the README's command reference are all derived from
/// it, so they cannot disagree (the shape of swift-argument-parser, written small).
public struct CommandSpec: Sendable {
    /// Runs a resolved command. Throws whatever the command's own failures are; the program
    /// turns them into messages and exit codes.
    public typealias Handler = @Sendable (CommandInvocation) throws -> Void

    public let name: String
    /// One line: what the command does.
    public let summary: String
    /// More, in paragraphs separated by a blank line; single line breaks are soft.
    public let discussion: String
    /// A leaf's options; a group's options are shared by every command under it.
    public let options: [CommandOption]
    /// A leaf's positional words, in order; a group has none.
    public let arguments: [CommandArgument]
    /// Variables the command reads; a group's apply to every command under it.
    public let environment: [EnvironmentVariable]
    public let subcommands: [CommandSpec]
    public let handler: Handler?

    /// A leaf command.
    public init(_ name: String, summary: String, discussion: String = "", arguments: [CommandArgument] = [],
                options: [CommandOption] = [], environment: [EnvironmentVariable] = [], handler: @escaping Handler) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.options = options
        self.arguments = arguments
        self.environment = environment
        self.subcommands = []
        self.handler = handler
    }

    /// A group of subcommands, with the options and environment they all share.
    public init(group name: String, summary: String, discussion: String = "", options: [CommandOption] = [],
                environment: [EnvironmentVariable] = [], subcommands: [CommandSpec]) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.options = options
        self.arguments = []
        self.environment = environment
        self.subcommands = subcommands
        self.handler = nil
    }

    public var isGroup: Bool { !subcommands.isEmpty }
}
