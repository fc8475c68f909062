/// What the words of a command line come to, decided without running anything: text to
/// print, a usage error, or a handler to call with its parsed options.
public enum CommandResolution {
    /// Print this on standard output and exit 0 (`--help`, `help …`).
    case help(String)
    /// Print this on standard error and exit 2.
    case usageError(String)
    /// Call the handler.
    case run(CommandSpec.Handler, CommandInvocation)
}

extension CommandSpec {
    /// Resolves the words after the program's name against this table (the program's root).
    ///
    /// `help <command> [<subcommand>]` is `<command> [<subcommand>] --help`; a group's `--help`
    /// or `help` prints the group; a leaf with `--help` anywhere among its words prints the
    /// leaf's help. Otherwise the leaf's words are parsed strictly: unknown, repeated or
    /// incomplete options, a missing required option and a value outside an option's
    /// choices are usage errors that show the usage line.
    public func resolve(_ words: [String], environment: [String: String]) -> CommandResolution {
        var command = ResolvedCommand(root: self)
        if words.isEmpty { return .usageError(command.help) }
        var rest = words == ["--version"] ? ["version"] : words
        while command.spec.isGroup {
            guard let word = rest.first else {
                return .usageError("\(name): \(command.path.dropFirst().joined(separator: " ")) needs a command\n\n\(command.help)")
            }
            if word == "--help" || word == "-h" { return .help(command.help) }
            // At the top, `help` alone or with options is the help command itself.
            let namesACommand = rest.count > 1 && !rest[1].hasPrefix("-")
            if word == "help", namesACommand || command.path.count > 1 {
                guard namesACommand else { return .help(command.help) }
                rest = Array(rest.dropFirst()) + ["--help"]
                continue
            }
            guard let child = command.child(word) else {
                if command.path.count == 1 { return .usageError("\(name): unknown command '\(word)'; see '\(name) --help'") }
                let group = command.path.dropFirst().joined(separator: " ")
                return .usageError("\(name): unknown \(group) command '\(word)'\n\n\(command.help)")
            }
            command = child
            rest.removeFirst()
        }
        if rest.contains("--help") { return .help(command.help) }
        let arguments: Arguments
        do {
            arguments = try Arguments(rest, options: command.allOptions, positionalLimit: command.spec.arguments.count)
        } catch {
            return .usageError("\(name): \(error)\n\n\(command.shortUsage)")
        }
        if let missing = command.spec.arguments.dropFirst(arguments.positionals.count).first(where: \.isRequired) {
            let message = "\(command.path.dropFirst().joined(separator: " ")) needs \(missing.placeholder)"
            return .usageError("\(name): \(message)\n\n\(command.shortUsage)")
        }
        for option in command.allOptions {
            let values = arguments.values(option.name)
            if option.isRequired, values.isEmpty, !arguments.has(option.name) {
                let message = option.missingMessage ?? "\(command.path.dropFirst().joined(separator: " ")) needs \(option.usage)"
                return .usageError("\(name): \(message)\n\n\(command.shortUsage)")
            }
            if !option.choices.isEmpty, let wrong = values.first(where: { !option.choices.contains($0) }) {
                return .usageError("\(name): --\(option.name) takes \(option.choices.joined(separator: " or ")), not '\(wrong)'\n\n"
                    + command.shortUsage)
            }
        }
        // Safe to assume: a spec is either a group (handled above) or built with a handler.
        guard let handler = command.spec.handler else { return .usageError(command.help) }
        return .run(handler, CommandInvocation(path: Array(command.path.dropFirst()), arguments: arguments, environment: environment))
    }
}
