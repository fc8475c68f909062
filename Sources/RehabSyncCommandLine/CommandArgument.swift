/// A positional word of a command, as the command table declares it (`schema [COLLECTION]`):
/// parsing, the usage line, help and the README's reference read this one description.
public struct CommandArgument: Sendable {
    /// What the word stands for in help, such as `COLLECTION`.
    public let placeholder: String
    public let help: String
    /// Whether the command refuses to run without it (a usage error, exit 2).
    public let isRequired: Bool

    public init(_ placeholder: String, _ help: String, required: Bool = false) {
        self.placeholder = placeholder
        self.help = help
        self.isRequired = required
    }

    /// `COLLECTION`, or `[COLLECTION]` when it may be left out.
    public var synopsis: String { isRequired ? placeholder : "[\(placeholder)]" }
}
