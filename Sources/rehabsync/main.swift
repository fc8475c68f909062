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
      healthcheck Exit 0 when a server's /healthz answers 200 (for container health checks).
      version     Print the version.
      help        Print this help.

    Every command takes --help.
    """

let version = "0.2.0"
let words = Array(CommandLine.arguments.dropFirst())
let environment = ProcessInfo.processInfo.environment

do {
    switch words.first {
    case nil, "help", "--help", "-h":
        print(usage)
    case "version", "--version":
        print(words.dropFirst().contains("--help") ? "Usage: rehabsync version\n\nPrints the version of this build." : version)
    case "serve":
        try ServeCommand.run(Array(words.dropFirst()), environment: environment)
    case "admin":
        try AdminCommand.run(Array(words.dropFirst()), environment: environment)
    case "replica":
        try ReplicaCommand.run(Array(words.dropFirst()), environment: environment)
    case "export":
        try ExportCommand.run(Array(words.dropFirst()), environment: environment)
    case "register":
        try RegisterCommand.run(Array(words.dropFirst()), environment: environment)
    case "healthcheck":
        try HealthcheckCommand.run(Array(words.dropFirst()))
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
