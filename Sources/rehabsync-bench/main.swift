import Foundation
import RehabSyncCommandLine

/// `rehabsync-bench`: the speed and memory goals of RehabSync, measured in release builds
/// rather than asserted in timed tests.
let usage = """
    Usage: rehabsync-bench <scenario> [--records N] [--json] [--keep DIR]

    Scenarios:
      merge   joins of N random record states in memory; persisting them through the
              record store; the same bytes by a plain prepared-statement loop; the ratio.
      push    N records pushed to a real server on loopback by 8 concurrent devices in
              batches of 1,000; the raw SQLite insert of the same rows; the ratio.
      pull    a fresh device pulls N records from a real server on loopback; records/s
              and peak memory.
      export  the register export computes one month over N stored records (10 per
              patient): median of 3 runs and the computation's peak memory.
      connections
              `rehabsync serve` in its own process holding --idle kept-alive connections,
              --slow-loris clients dripping a header, and --devices that pull and push
              over keep-alive for --seconds: requests/s, empty-pull p50/p99/max, errors,
              503s, the server's peak RSS; then wrk -t2 -c32 on /healthz and on nginx
              serving a static file (if installed) and the ratio; then --slow-readers
              readers of full pull pages and the server's peak RSS.

    Options:
      --records N   how many records (default 1000000)
      --idle N, --devices N, --slow-loris N, --seconds N, --think-ms N, --slow-readers N
                    the connections scenario (defaults 10000, 1000, 200, 20, 1000, 8)
      --json        print the figures as one JSON object
      --keep DIR    write the databases to DIR and keep them (default: a temporary
                    directory, removed afterwards)
    """

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("rehabsync-bench: \(message)\n".utf8))
    exit(code)
}

let words = Array(CommandLine.arguments.dropFirst())
guard let scenario = words.first, !["help", "--help", "-h"].contains(scenario) else {
    print(usage)
    exit(words.isEmpty ? 2 : 0)
}

do {
    let arguments = try Arguments(Array(words.dropFirst()), valued: ["records", "keep", "idle", "devices", "slow-loris", "seconds", "think-ms", "slow-readers"], switches: ["json", "help"])
    if arguments.has("help") {
        print(usage)
        exit(0)
    }
    let records = try arguments.integer("records", default: 1_000_000)
    let directory = arguments.value("keep").map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("rehabsync-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { if arguments.value("keep") == nil { try? FileManager.default.removeItem(at: directory) } }

    let report: BenchmarkReport
    switch scenario {
    case "merge": report = try MergeScenario(records: records, directory: directory).run()
    case "push": report = try PushScenario(records: records, directory: directory).run()
    case "pull": report = try PullScenario(records: records, directory: directory).run()
    case "export": report = try ExportScenario(records: records, directory: directory).run()
    case "connections":
        var connections = ConnectionsScenario(directory: directory)
        connections.idle = try arguments.integer("idle", default: connections.idle)
        connections.devices = try arguments.integer("devices", default: connections.devices)
        connections.slowLoris = try arguments.integer("slow-loris", default: connections.slowLoris)
        connections.seconds = try arguments.integer("seconds", default: connections.seconds)
        connections.thinkMilliseconds = try arguments.integer("think-ms", default: connections.thinkMilliseconds)
        connections.slowReaders = try arguments.integer("slow-readers", default: connections.slowReaders)
        report = try connections.run()
    default: fail("unknown scenario '\(scenario)'\n\(usage)", code: 2)
    }
    print(arguments.has("json") ? report.json() : report.text())
} catch let error as Arguments.UsageError {
    fail("\(error.description)\n\(usage)", code: 2)
} catch {
    fail("\(error)", code: 1)
}
