/// A command found in the table together with what it inherits from the groups above it:
/// its full path, and the options and environment those groups share.
public struct ResolvedCommand: Sendable {
    /// The program's name (`rehabsync`), then every command word.
    public let path: [String]
    public let spec: CommandSpec
    /// Options shared by the groups above, outermost first.
    public let inheritedOptions: [CommandOption]
    public let inheritedEnvironment: [EnvironmentVariable]

    /// The program itself, the root of the table.
    public init(root: CommandSpec) {
        self.init(path: [root.name], spec: root, inheritedOptions: [], inheritedEnvironment: [])
    }

    init(path: [String], spec: CommandSpec, inheritedOptions: [CommandOption], inheritedEnvironment: [EnvironmentVariable]) {
        self.path = path
        self.spec = spec
        self.inheritedOptions = inheritedOptions
        self.inheritedEnvironment = inheritedEnvironment
    }

    /// `rehabsync replica write`.
    public var commandLine: String { path.joined(separator: " ") }

    /// Every option the command accepts: the groups' shared ones, then its own.
    public var allOptions: [CommandOption] { inheritedOptions + spec.options }

    /// Every variable the command reads, the groups' first.
    public var allEnvironment: [EnvironmentVariable] { inheritedEnvironment + spec.environment }

    /// The subcommand `name`, inheriting this command's shared options.
    public func child(_ name: String) -> ResolvedCommand? {
        guard let child = spec.subcommands.first(where: { $0.name == name }) else { return nil }
        return ResolvedCommand(path: path + [name], spec: child, inheritedOptions: allOptions, inheritedEnvironment: allEnvironment)
    }

    /// Every leaf under this command, depth first in table order (this one if it is a leaf).
    public var leaves: [ResolvedCommand] {
        guard spec.isGroup else { return [self] }
        return spec.subcommands.flatMap { child($0.name)?.leaves ?? [] }
    }

    /// The usage line's parts after the command words: the shared required options, the
    /// command's own in table order, then the shared optional ones (or `<command>` for a group).
    public var synopsisUnits: [String] {
        if spec.isGroup {
            return ["<command>"] + (allOptions.isEmpty ? [] : ["[options]"])
        }
        return spec.arguments.map(\.synopsis) + orderedOptions.map(\.synopsis)
    }

    /// A leaf's options in the order its usage line and help show them: the groups'
    /// required ones, the command's own, then the groups' optional ones.
    public var orderedOptions: [CommandOption] {
        inheritedOptions.filter(\.isRequired) + spec.options + inheritedOptions.filter { !$0.isRequired }
    }

    /// The usage line as one line: `rehabsync replica write --db FILE …`.
    public var synopsis: String { ([commandLine] + synopsisUnits).joined(separator: " ") }
}
