import Foundation
import RehabSyncCommandLine

/// The one executable of RehabSync: the words are resolved against the command table, then
/// the command's handler runs. Failures print `rehabsync: message` on stderr with exit 1,
/// usage errors with 2.
switch CommandTable.root.resolve(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment) {
case .help(let text):
    print(text)
case .usageError(let text):
    printError(text)
    exit(2)
case .run(let handler, let invocation):
    do {
        try handler(invocation)
    } catch let failure as CommandFailure {
        printError("rehabsync: \(failure.message)")
        exit(failure.exitCode)
    } catch {
        printError("rehabsync: \(error)")
        exit(1)
    }
}
