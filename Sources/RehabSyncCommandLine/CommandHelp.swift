/// The help of one command group (`replica`, `admin`, …), written once: the group's usage
/// and each subcommand's own `--help` are both printed from it, so they cannot disagree.
public struct CommandHelp: Sendable {
    /// One subcommand: its name (`"audit verify"` for a nested one), its synopsis after the
    /// name, and what it does, wrapped by hand.
    public struct Subcommand: Sendable {
        public let name: String
        public let synopsis: String
        public let summary: String

        public init(_ name: String, _ synopsis: String, _ summary: String) {
            self.name = name
            self.synopsis = synopsis
            self.summary = summary
        }
    }

    /// The group's name after `rehabsync`, such as `"replica"`.
    public let group: String
    /// The group's synopsis line after `Usage: rehabsync GROUP `.
    public let synopsis: String
    public let subcommands: [Subcommand]
    /// The options and environment every subcommand shares, printed under both helps.
    public let footer: String

    public init(group: String, synopsis: String, subcommands: [Subcommand], footer: String) {
        self.group = group
        self.synopsis = synopsis
        self.subcommands = subcommands
        self.footer = footer
    }

    /// The whole group's help: every subcommand with its synopsis and summary.
    public var usage: String {
        var lines = ["Usage: rehabsync \(group) \(synopsis)", "", "Commands:"]
        for subcommand in subcommands {
            lines.append("  \(subcommand.name) \(subcommand.synopsis)".trimmingTrailingSpaces)
            lines.append(contentsOf: subcommand.summary.split(separator: "\n", omittingEmptySubsequences: false).map { "      \($0)" })
        }
        return (lines + ["", footer]).joined(separator: "\n")
    }

    /// One subcommand's own help, or nil when the group has no such subcommand.
    public func help(_ name: String) -> String? {
        guard let subcommand = subcommands.first(where: { $0.name == name }) else { return nil }
        let synopsis = "Usage: rehabsync \(group) \(subcommand.name) \(subcommand.synopsis)".trimmingTrailingSpaces
        return [synopsis, "", subcommand.summary, "", footer].joined(separator: "\n")
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
