/// An environment variable a command reads, named in its help and in the README's
/// reference so that an operator can see where each one applies.
public struct EnvironmentVariable: Sendable, Hashable {
    public let name: String
    public let help: String

    public init(_ name: String, _ help: String) {
        self.name = name
        self.help = help
    }
}
