import Foundation

/// The one executable of RehabSync. Subcommands are added as their layers land.
let usage = """
    rehabsync: sync and reporting backbone for digital cancer rehabilitation

    Usage:
      rehabsync <command> [options]

    Commands:
      version     Print the version.
      help        Print this help.

    Every command takes --help.
    """

let version = "0.1.0"

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("rehabsync: \(message)\n".utf8))
    exit(code)
}

let words = Array(CommandLine.arguments.dropFirst())
switch words.first {
case nil, "help", "--help", "-h":
    print(usage)
case "version", "--version":
    if words.dropFirst().contains("--help") {
        print("Usage: rehabsync version\n\nPrints the version of this build.")
    } else {
        print(version)
    }
case let command?:
    fail("unknown command '\(command)'; see 'rehabsync --help'", code: 2)
}
