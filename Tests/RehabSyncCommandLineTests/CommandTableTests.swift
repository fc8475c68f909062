import RehabSyncCommandLine
import Testing

/// Parsing, help and the reference all come from one command table.
struct CommandTableTests {
    static let root = CommandSpec(group: "tool", summary: "a tool for tests", discussion: "Every command takes --help.", subcommands: [
        CommandSpec(group: "replica", summary: "Work with a replica.", options: [
            .value("db", "FILE", "the replica", required: true),
            .value("config-dir", "DIR", "reference data"),
        ], environment: [EnvironmentVariable("TOOL_CONFIG_DIR", "default of --config-dir")], subcommands: [
            CommandSpec("write", summary: "Set the fields given.", discussion: "Writes\nare validated.\n\nThen stored.", options: [
                .value("json", "J", "the fields", required: true),
                .value("unit", "HSA-ID", "a unit", repeats: true),
                .value("output", "FORMAT", "how to print", choices: ["json", "table"]),
                .flag("quiet", "print no progress"),
            ], handler: { _ in }),
            CommandSpec(group: "audit", summary: "The audit log.", subcommands: [
                CommandSpec("head", summary: "Print the <head>.", handler: { _ in }),
            ]),
        ]),
        CommandSpec("schema", summary: "Print a schema.", arguments: [CommandArgument("COLLECTION", "one collection")],
                    handler: { _ in }),
        CommandSpec("show", summary: "Show a record.", arguments: [CommandArgument("ID", "the record", required: true)],
                    handler: { _ in }),
        CommandSpec("version", summary: "Print the version.", handler: { _ in }),
        CommandSpec("help", summary: "Print help.", options: [.flag("reference", "Markdown")], handler: { _ in }),
    ])

    static func resolve(_ words: [String]) -> CommandResolution { root.resolve(words, environment: ["HOME": "/root"]) }

    static func helpText(_ words: [String]) -> String? {
        if case .help(let text) = resolve(words) { return text }
        return nil
    }

    static func usageError(_ words: [String]) -> String? {
        if case .usageError(let text) = resolve(words) { return text }
        return nil
    }

    static func invocation(_ words: [String]) -> CommandInvocation? {
        if case .run(_, let invocation) = resolve(words) { return invocation }
        return nil
    }

    @Test("A subcommand's help shows its own usage line, summary, discussion, options and environment, not its siblings'")
    func subcommandHelp() throws {
        let help = try #require(Self.helpText(["replica", "write", "--help"]))
        #expect(help.hasPrefix("Usage: tool replica write --db FILE --json J [--unit HSA-ID ...]\n        [--output FORMAT] [--quiet]"))
        #expect(help.contains("\nSet the fields given.\n\nWrites are validated.\n\nThen stored.\n"))
        #expect(help.contains("  --db FILE"))
        #expect(help.contains("the replica (required)"))
        #expect(help.contains("how to print (one of json, table)"))
        #expect(help.contains("a unit (may be repeated)"))
        #expect(help.contains("TOOL_CONFIG_DIR"))
        #expect(!help.contains("The audit log."))
    }

    @Test("A declared positional word is parsed, shown in usage and help, and a missing required or an extra one is a usage error")
    func positionalArguments() throws {
        #expect(Self.invocation(["schema", "carePlans"])?.arguments.positional(0) == "carePlans")
        #expect(Self.invocation(["schema"])?.arguments.positional(0) == nil)
        #expect(try #require(Self.usageError(["schema", "a", "b"])).contains("unexpected argument 'b'"))
        #expect(try #require(Self.usageError(["show"])).contains("show needs ID"))
        #expect(try #require(Self.usageError(["version", "x"])).contains("unexpected argument 'x'"))
        let help = try #require(Self.helpText(["help", "schema"]))
        #expect(help.hasPrefix("Usage: tool schema [COLLECTION]\n"))
        #expect(help.contains("Arguments:\n  COLLECTION  one collection"))
        #expect(try #require(Self.helpText(["show", "--help"])).hasPrefix("Usage: tool show ID\n"))
    }

    @Test("'help <command> <subcommand>' prints exactly what '<command> <subcommand> --help' prints, at any depth")
    func helpCommandMatchesHelpOption() throws {
        #expect(Self.helpText(["help", "replica", "write"]) == Self.helpText(["replica", "write", "--help"]))
        #expect(Self.helpText(["help", "replica", "audit", "head"]) == Self.helpText(["replica", "audit", "head", "--help"]))
        #expect(Self.helpText(["help", "replica"]) == Self.helpText(["replica", "--help"]))
        #expect(Self.helpText(["replica", "help", "write"]) == Self.helpText(["replica", "write", "--help"]))
        #expect(try #require(Self.helpText(["replica", "audit", "head", "--help"])).hasPrefix("Usage: tool replica audit head --db FILE"))
    }

    @Test("A group's help lists every command under it, nested ones by their full name, with its summary and shared options")
    func groupHelp() throws {
        let help = try #require(Self.helpText(["replica", "--help"]))
        #expect(help.hasPrefix("Usage: tool replica <command> [options]\n"))
        #expect(help.contains("\n  write --db FILE --json J [--unit HSA-ID ...] [--output FORMAT] [--quiet]\n      Set the fields given.\n"))
        #expect(help.contains("\n  audit head --db FILE\n      Print the <head>.\n"))
        #expect(help.contains("Options for every command:\n  --db FILE"))
        let program = try #require(Self.helpText(["--help"]))
        #expect(program.contains("Usage:\n  tool <command> [options]"))
        #expect(program.contains("  replica  Work with a replica."))
        #expect(Self.helpText(["-h"]) == program)
    }

    @Test("The words resolve to the leaf's handler with every option parsed, shared ones included, and the environment")
    func resolvesToTheHandler() throws {
        let invocation = try #require(Self.invocation(["replica", "write", "--db=r.sqlite", "--json", "{}", "--unit", "A", "--unit=B",
                                                       "--config-dir", "C", "--quiet", "--output", "table"]))
        #expect(invocation.path == ["replica", "write"])
        #expect(invocation.subcommand == "write")
        #expect(invocation.arguments.value("db") == "r.sqlite")
        #expect(invocation.arguments.values("unit") == ["A", "B"])
        #expect(invocation.arguments.value("config-dir") == "C")
        #expect(invocation.arguments.has("quiet"))
        #expect(invocation.environment["HOME"] == "/root")
        #expect(try #require(Self.invocation(["replica", "audit", "head", "--db", "r"])).subcommand == "audit head")
        #expect(Self.invocation(["help", "--reference"])?.arguments.has("reference") == true)
        #expect(Self.invocation(["--version"])?.path == ["version"])
    }

    @Test("A missing required option, a repeated one, an unknown one and a value outside the choices are usage errors with the usage line")
    func usageErrors() throws {
        let missing = try #require(Self.usageError(["replica", "write", "--db", "r"]))
        #expect(missing.hasPrefix("tool: replica write needs --json J\n\nUsage: tool replica write --db FILE"))
        #expect(missing.hasSuffix("Run 'tool help replica write' for more."))
        #expect(try #require(Self.usageError(["replica", "write", "--json", "{}"])).hasPrefix("tool: replica write needs --db FILE"))
        #expect(try #require(Self.usageError(["replica", "write", "--db", "a", "--db", "b", "--json", "{}"]))
            .hasPrefix("tool: --db is given more than once"))
        #expect(try #require(Self.usageError(["replica", "write", "--db", "a", "--json", "{}", "--nope"]))
            .hasPrefix("tool: unknown option --nope"))
        #expect(try #require(Self.usageError(["replica", "write", "--db", "a", "--json", "{}", "--output", "xml"]))
            .hasPrefix("tool: --output takes json or table, not 'xml'"))
        #expect(try #require(Self.usageError(["replica", "audit", "head", "--db", "a", "--json", "{}"])).hasPrefix("tool: unknown option --json"))
    }

    @Test("An unknown command or subcommand is a usage error, and a bare program or group prints its usage as one")
    func unknownAndBareCommands() throws {
        #expect(Self.usageError(["replicas"]) == "tool: unknown command 'replicas'; see 'tool --help'")
        let unknown = try #require(Self.usageError(["replica", "wrte"]))
        #expect(unknown.hasPrefix("tool: unknown replica command 'wrte'\n\nUsage: tool replica <command>"))
        #expect(try #require(Self.usageError(["replica", "audit", "tail"])).hasPrefix("tool: unknown replica audit command 'tail'"))
        #expect(try #require(Self.usageError([])).hasPrefix("tool: a tool for tests\n\nUsage:\n  tool <command> [options]"))
        #expect(try #require(Self.usageError(["replica"])).hasPrefix("tool: replica needs a command\n\nUsage: tool replica <command>"))
    }

    @Test("The Markdown reference has a section per command with its usage line, options and environment, and escapes angle brackets")
    func markdownReference() {
        let reference = ResolvedCommand(root: Self.root).markdownReference
        #expect(reference.hasPrefix(ResolvedCommand.referenceNotice + "\n\n### `tool replica`\n\nWork with a replica.\n\n"))
        #expect(reference.contains("Every `tool replica` command takes:\n\n- `--db FILE`: the replica (required)\n- `--config-dir DIR`: reference data"))
        #expect(reference.contains("Every `tool replica` command reads:\n\n- `TOOL_CONFIG_DIR`: default of --config-dir"))
        #expect(reference.contains("#### `tool replica write`\n\n`tool replica write --db FILE --json J [--unit HSA-ID ...] [--output FORMAT] [--quiet] [--config-dir DIR]`\n\n"
            + "Set the fields given.\n\nWrites are validated.\n\nThen stored.\n\nOptions:\n\n- `--json J`: the fields (required)\n"))
        #expect(reference.contains("#### `tool replica audit head`\n\n`tool replica audit head --db FILE [--config-dir DIR]`\n\nPrint the \\<head>.\n"))
        #expect(reference.contains("### `tool version`\n\n`tool version`\n\nPrint the version.\n"))
        #expect(reference.contains("### `tool help`\n\n`tool help [--reference]`\n\nPrint help.\n\nOptions:\n\n- `--reference`: Markdown\n\n"))
        #expect(reference.hasSuffix("### Environment variables\n\nWhere each variable is read (a group's apply to every command in it):\n\n"
            + "- `TOOL_CONFIG_DIR`: `tool replica`\n"))
    }

    @Test("Help text is wrapped to 80 columns, counting a Swedish letter as one")
    func helpIsWrapped() throws {
        let long = CommandSpec(group: "t", summary: "s", subcommands: [
            CommandSpec("go", summary: String(repeating: "åäö ", count: 40), options: [
                .value("patient", "P", String(repeating: "patientens personnummer ", count: 8)),
            ], handler: { _ in }),
        ])
        let help = try #require({ () -> String? in
            if case .help(let text) = long.resolve(["go", "--help"], environment: [:]) { return text }
            return nil
        }())
        let lines = help.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
        #expect(lines.contains { $0.count >= 75 })
        #expect(lines.contains { $0.hasPrefix("  --patient P  patientens") })
    }
}
