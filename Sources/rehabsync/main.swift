import Foundation

/// The one executable of RehabSync.
let usage = """
    rehabsync: sync and reporting backbone for digital cancer rehabilitation

    Usage:
      rehabsync <command> [options]

    Commands:
      serve       Run the regional sync server.
      admin       Enrol and revoke devices, verify the audit log, dump a unit (calls a running server).
      replica     Work with a device's offline replica: write, read, resolve conflicts, sync.
      export      The monthly register export: validate jobs, run a month, show the ledger and next runs.
      register    The reference national-register receiver (register serve --port P --data DIR).
      schema      Print every collection's fields, types, required flags, allowed values and rules.
      healthcheck Exit 0 when a server's /healthz answers 200 (for container health checks).
      version     Print the version.
      help        Print this help; 'help <command> [<subcommand>]' prints that command's own help.

    Every command and subcommand takes --help. Options are written --opt value or --opt=value,
    each at most once unless its help says it repeats.
    """

let version = "0.2.0"
let words = Array(CommandLine.arguments.dropFirst())
let environment = ProcessInfo.processInfo.environment

/// `rehabsync help <command> [<subcommand>]` is `rehabsync <command> [<subcommand>] --help`.
let arguments = words.first == "help" && words.count > 1 ? Array(words.dropFirst()) + ["--help"] : words

do {
    switch arguments.first {
    case nil:
        printError(usage)
        exit(2)
    case "help", "--help", "-h":
        print(usage)
    case "version", "--version":
        print(arguments.dropFirst().contains("--help") ? "Usage: rehabsync version\n\nPrints the version of this build." : version)
    case "serve":
        try ServeCommand.run(Array(arguments.dropFirst()), environment: environment)
    case "admin":
        try AdminCommand.run(Array(arguments.dropFirst()), environment: environment)
    case "replica":
        try ReplicaCommand.run(Array(arguments.dropFirst()), environment: environment)
    case "export":
        try ExportCommand.run(Array(arguments.dropFirst()), environment: environment)
    case "register":
        try RegisterCommand.run(Array(arguments.dropFirst()), environment: environment)
    case "schema":
        try SchemaCommand.run(Array(arguments.dropFirst()), environment: environment)
    case "healthcheck":
        try HealthcheckCommand.run(Array(arguments.dropFirst()))
    case let command?:
        throw CommandFailure.usage("unknown command '\(command)'; see 'rehabsync --help'")
    }
} catch let failure as CommandFailure {
    printError("rehabsync: \(failure.message)")
    exit(failure.exitCode)
} catch {
    printError("rehabsync: \(error)")
    exit(1)
}
