import Foundation
import RehabSyncCommandLine

/// `rehabsync-bench`: the speed and memory goals of RehabSync, measured in release builds
/// rather than asserted in timed tests.
let usage = """
    Usage: rehabsync-bench <scenario> [--records N] [--runs N] [--json] [--keep DIR]

    Scenarios:
      merge   joins of N random record states in memory; persisting them through the
              record store; the same bytes by a plain prepared-statement loop; the ratio.
      push    N records pushed to a real server on loopback by 8 concurrent devices in
              batches of 1,000; the raw SQLite insert of the same rows; the ratio.
      pull    a fresh device pulls N records from a real server on loopback, decoding
              but storing nothing; records/s and peak memory.
      device-pull
              a real replica (the library a clinic's device runs, in a process of its
              own) syncs N records of 8 care units from a real server on loopback into
              its own SQLite file; records/s and the replica's peak memory.
      merge-join
              N incoming states joined into stored records that already hold concurrent
              siblings (a conflict-heavy clinic), through the record store; records/s.

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
      --runs N      measured runs after one warm-up run of a tenth of the records
                    (default 3); figures are medians, with each run's value and the spread
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
    if scenario == DevicePullScenario.clientScenario {
        // The replica side of device-pull, started by the scenario in a process of its own.
        print(try DevicePullScenario.runClient(Array(words.dropFirst())))
        exit(0)
    }
    let arguments = try Arguments(Array(words.dropFirst()), valued: ["records", "keep", "runs", "idle", "devices", "slow-loris", "seconds", "think-ms", "slow-readers"], switches: ["json", "help"])
    if arguments.has("help") {
        print(usage)
        exit(0)
    }
    let records = try arguments.integer("records", default: 1_000_000)
    let directory = arguments.value("keep").map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("rehabsync-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { if arguments.value("keep") == nil { try? FileManager.default.removeItem(at: directory) } }

    let runs = try arguments.integer("runs", default: 3)
    let run: (Int, URL) throws -> BenchmarkReport
    switch scenario {
    case "merge": run = { try MergeScenario(records: $0, directory: $1).run() }
    case "push": run = { try PushScenario(records: $0, directory: $1).run() }
    case "pull": run = { try PullScenario(records: $0, directory: $1).run() }
    case "device-pull": run = { try DevicePullScenario(records: $0, directory: $1).run() }
    case "merge-join": run = { try MergeJoinScenario(records: $0, directory: $1).run() }
    case "export", "connections":
        // These take their own medians (export computes a month three times over one
        // loaded database; connections holds one long load), so they run once here.
        let single: BenchmarkReport
        if scenario == "export" {
            single = try ExportScenario(records: records, directory: directory).run()
        } else {
            var connections = ConnectionsScenario(directory: directory)
            connections.idle = try arguments.integer("idle", default: connections.idle)
            connections.devices = try arguments.integer("devices", default: connections.devices)
            connections.slowLoris = try arguments.integer("slow-loris", default: connections.slowLoris)
            connections.seconds = try arguments.integer("seconds", default: connections.seconds)
            connections.thinkMilliseconds = try arguments.integer("think-ms", default: connections.thinkMilliseconds)
            connections.slowReaders = try arguments.integer("slow-readers", default: connections.slowReaders)
            single = try connections.run()
        }
        let summary = BenchmarkSummary([single])
        print(arguments.has("json") ? summary.json() : summary.text())
        exit(0)
    default: fail("unknown scenario '\(scenario)'\n\(usage)", code: 2)
    }
    // Each run in a directory of its own, removed when done (unless kept), so runs do not
    // share files or fill the disk; the warm-up brings code, caches and files up to speed.
    func runOnce(_ label: String, records: Int) throws -> BenchmarkReport {
        let runDirectory = directory.appendingPathComponent(label)
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        defer { if arguments.value("keep") == nil { try? FileManager.default.removeItem(at: runDirectory) } }
        progress("\(label): \(records) records")
        return try run(records, runDirectory)
    }
    _ = try runOnce("warm-up", records: max(records / 10, min(records, 1_000)))
    let reports = try (1...runs).map { try runOnce("run-\($0)", records: records) }
    let summary = BenchmarkSummary(reports)
    print(arguments.has("json") ? summary.json() : summary.text())
} catch let error as Arguments.UsageError {
    fail("\(error.description)\n\(usage)", code: 2)
} catch {
    fail("\(error)", code: 1)
}
