import RehabSyncCommandLine

/// Every command of `rehabsync`, described once. Parsing, each `--help`, `rehabsync help …`
/// and the README's command reference (`rehabsync help --reference`) are derived from this
/// table; a new command is one more entry here, with its spec beside its handler.
enum CommandTable {
    static let version = "0.2.0"

    static let root: CommandSpec = CommandSpec(group: "rehabsync", summary: "sync and reporting backbone for digital cancer rehabilitation",
                                  discussion: """
        Every command and subcommand takes --help. Options are written --opt value or --opt=value,
        each at most once unless its help says it repeats.
        """, subcommands: [
            ServeCommand.spec, AdminCommand.spec, ReplicaCommand.spec, ExportCommand.spec, RegisterCommand.spec,
            SchemaCommand.spec, HealthcheckCommand.spec, versionCommand, helpCommand,
        ])

    static let versionCommand: CommandSpec = CommandSpec("version", summary: "Print the version.", handler: { _ in print(version) })

    static let helpCommand: CommandSpec = CommandSpec("help", summary: "Print this help; 'help <command> [<subcommand>]' prints that command's own help.",
                                         options: [
                                             .flag("reference", "print the command reference in Markdown, as the README holds it"),
                                         ], handler: { invocation in
        let program = ResolvedCommand(root: root)
        if invocation.arguments.has("reference") {
            print(program.markdownReference, terminator: "")
        } else {
            print(program.help)
        }
    })
}
