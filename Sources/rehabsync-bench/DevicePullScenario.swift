import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReplica
import RehabSyncStorage
import Synchronization

/// `device-pull`: the product's path for a clinic's device. A real server on loopback
/// holds N records of 8 care units; a fresh replica, the library the device runs, syncs
/// them into its own SQLite file (fetch, decode, join and commit page by page, cursor
/// with each page, then the digest check). The replica runs in a process of its own so
/// that its peak memory is reported apart from the server's.
///
/// Beside it, the ceilings (``DevicePullCeiling``): the server alone, fetching the same
/// pages and storing nothing, and the plainest insert loop storing the same rows into a
/// file laid out as a device's (`raw_records_per_s`, and `ratio` to it).
struct DevicePullScenario {
    let records: Int
    let directory: URL
    static let units = (0..<8).map { "SE2321000016-U\($0)" }
    /// The issue's goals for a device's first sync.
    static let goalRecordsPerSecond = 100_000.0
    static let goalClientPeakBytes = 300.0 * 1_048_576
    /// The hidden scenario name the child process runs under.
    static let clientScenario = "device-pull-client"

    func run() throws -> BenchmarkReport {
        let devicePath = directory.appendingPathComponent("device.sqlite").path
        let total: Int
        let answer: String
        let server: (records: Int, pages: Int, bytes: Int, seconds: Double)
        let serverDigestSeconds: Double
        do {
            let loopback = try LoopbackServer(directory: directory)
            defer { loopback.stop() }
            let writers = try Self.units.map { try loopback.enrol(unit: $0) }
            let perUnit = (records + writers.count - 1) / writers.count
            for writer in writers { try loopback.load(perUnit, by: writer) }
            total = perUnit * writers.count
            let device = try loopback.enrol(units: Self.units)
            progress("loaded \(total) records in \(Self.units.count) units; a replica process syncs them")
            answer = try Self.runClientProcess(arguments: ["--server", loopback.base, "--token", device.token, "--db", devicePath])
            // Then, with the replica gone, a second device of the same units fetches the
            // same pages and does nothing with them: what the server and the wire deliver.
            progress("the server alone: a client fetches the same pages and stores nothing")
            let reader = try loopback.enrol(units: Self.units)
            server = try DevicePullCeiling.serverOnly(server: loopback, device: reader, pageRecords: Replica.pullPageSize)
            serverDigestSeconds = try DevicePullCeiling.serverDigestSeconds(server: loopback, device: reader)
        }
        guard let object = try JSONParser.parse(Array(answer.utf8)).objectValue,
            let seconds = Self.number(object["seconds"]), let pulled = object["pulled"]?.integerValue,
            let peak = Self.number(object["peak_rss_bytes"]), object["digest_matches"] == .bool(true)
        else { throw BenchFailure("the replica process answered \(answer)") }
        guard pulled == total else { throw BenchFailure("the replica pulled \(pulled) of \(total) records") }
        guard server.records == total else { throw BenchFailure("the server alone delivered \(server.records) of \(total) records") }
        // The ceiling, timed alone (the server stopped): the rows the replica stored, by
        // the plainest loop into a file laid out as a device's, then into one with the
        // record schema alone (every index the server keeps), for comparison.
        progress("the yardstick: the same rows by a plain insert loop")
        let rows = try DevicePullCeiling.rows(ofReplicaAt: devicePath)
        guard rows.count == total else { throw BenchFailure("the replica's file holds \(rows.count) of \(total) records") }
        let rawCPUBefore = processCPUSeconds()
        let rawSeconds = try DevicePullCeiling.rawSeconds(rows: rows, pageRecords: Replica.pullPageSize,
                                                          path: directory.appendingPathComponent("raw-device.sqlite").path,
                                                          migrations: Replica.fileMigrations)
        let rawCPUSeconds = processCPUSeconds() - rawCPUBefore
        let rawSharedSeconds = try DevicePullCeiling.rawSeconds(rows: rows, pageRecords: Replica.pullPageSize,
                                                                path: directory.appendingPathComponent("raw-shared.sqlite").path,
                                                                migrations: RecordStore.migrator.migrations)
        var report = BenchmarkReport(scenario: "device-pull", records: total, seconds: seconds,
                                     recordsPerSecond: Double(total) / seconds, rawRecordsPerSecond: Double(total) / rawSeconds)
        report.extra = [("goal_records_per_s", Self.goalRecordsPerSecond),
                        ("raw_cpu_microseconds_per_record", rawCPUSeconds * 1e6 / Double(max(total, 1))),
                        ("raw_shared_schema_records_per_s", Double(total) / rawSharedSeconds),
                        ("server_only_records_per_s", Double(server.records) / server.seconds),
                        ("server_only_pages", Double(server.pages)),
                        ("server_only_bytes_per_record", Double(server.bytes) / Double(max(server.records, 1))),
                        ("client_peak_rss_bytes", peak),
                        ("goal_client_peak_rss_bytes", Self.goalClientPeakBytes),
                        ("client_pull_seconds", Self.number(object["pull_seconds"]) ?? 0),
                        ("client_digest_seconds", Self.number(object["after_pull_seconds"]) ?? 0),
                        ("server_digest_seconds", serverDigestSeconds),
                        ("client_local_digest_seconds", Self.number(object["local_digest_seconds"]) ?? 0),
                        ("client_written_bytes", Self.number(object["written_bytes"]) ?? 0),
                        ("client_write_calls", Self.number(object["write_calls"]) ?? 0),
                        ("state_bytes", Double(rows.reduce(0) { $0 + $1.state.count })),
                        ("client_cpu_microseconds_per_record", (Self.number(object["cpu_seconds"]) ?? 0) * 1e6 / Double(max(total, 1)))]
        return report
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .double(let double): double
        default: nil
        }
    }

    /// A command put before the replica process, such as
    /// `valgrind --tool=callgrind --callgrind-out-file=replica.out`, so that the replica
    /// alone can be profiled while the server runs at full speed.
    static let clientWrapperVariable = "REHABSYNC_BENCH_CLIENT_WRAPPER"

    /// Starts this executable again as the replica and returns what it prints.
    private static func runClientProcess(arguments: [String]) throws -> String {
        let process = Process()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let wrapper = (ProcessInfo.processInfo.environment[clientWrapperVariable] ?? "")
            .split(separator: " ").map(String.init)
        if wrapper.isEmpty {
            process.executableURL = executable
            process.arguments = [clientScenario] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = wrapper + [executable.path, clientScenario] + arguments
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("the replica process exited with \(process.terminationStatus)") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The child's side: creates the replica, times one sync, prints its figures as JSON.
    static func runClient(_ words: [String]) throws -> String {
        var options: [String: String] = [:]
        var index = 0
        while index + 1 < words.count {
            options[String(words[index].dropFirst(2))] = words[index + 1]
            index += 2
        }
        guard let server = options["server"], let token = options["token"], let path = options["db"] else {
            throw BenchFailure("\(clientScenario) needs --server, --token and --db")
        }
        try Replica.create(path: path, server: server, token: token, clinician: "SE2321000016-N001")
        let replica = try Replica(path: path, reference: ReferenceData(kvaList: nil, questionnaires: [],
                                                                       today: CivilDate.swedishToday(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000))))
        var report: Replica.SyncReport?
        // When the pull began and when its last page was stored, from the sync's progress
        // calls: what comes after is the digest (both sides hash every record).
        let start = DispatchTime.now().uptimeNanoseconds
        let marks = Mutex<(pullBegan: UInt64?, lastPage: UInt64?)>((nil, nil))
        let cpuBefore = processCPUSeconds()
        let seconds = try measure {
            report = try replica.sync { progress in
                guard progress.phase == .pull else { return }
                let time = DispatchTime.now().uptimeNanoseconds
                marks.withLock { marks in
                    if marks.pullBegan == nil { marks.pullBegan = time }
                    if progress.pulled > 0 { marks.lastPage = time }
                }
            }
        }
        let (pullBegan, lastPage) = marks.withLock { ($0.pullBegan ?? start, $0.lastPage ?? start) }
        let pullSeconds = Double(lastPage - pullBegan) / 1e9
        let afterPullSeconds = seconds - Double(lastPage - start) / 1e9
        let cpuSeconds = processCPUSeconds() - cpuBefore
        guard let report else { throw BenchFailure("no sync report") }
        let written = Self.writtenBytes()
        // The device's half of the digest alone, after the timed sync: whether the wait
        // after the last page is this side's hashing or the server's. Not under a
        // profiler, whose counts should be the sync's alone.
        let profiled = ProcessInfo.processInfo.environment[clientWrapperVariable] != nil
        let localDigestSeconds = profiled ? 0 : try measure { _ = try replica.dumpDigest() }
        return #"{"seconds":\#(seconds),"pulled":\#(report.pulled),"digest_matches":\#(report.digestMatches),"#
            + #""cpu_seconds":\#(cpuSeconds),"peak_rss_bytes":\#(BenchmarkReport.peakResidentBytes()),"#
            + #""written_bytes":\#(written.bytes),"write_calls":\#(written.calls),"#
            + #""pull_seconds":\#(pullSeconds),"after_pull_seconds":\#(afterPullSeconds),"#
            + #""local_digest_seconds":\#(localDigestSeconds)}"#
    }

    /// Bytes this process has handed to `write`-family system calls so far, and how many
    /// calls (Linux's /proc/self/io `wchar`, `syscw`): what the replica's SQLite writes,
    /// WAL and checkpoints included, whether or not the disk has seen it yet.
    private static func writtenBytes() -> (bytes: Int, calls: Int) {
        guard let io = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return (0, 0) }
        var fields: [Substring: Int] = [:]
        for line in io.split(separator: "\n") {
            let parts = line.split(separator: ":")
            if parts.count == 2 { fields[parts[0]] = Int(parts[1].trimmingCharacters(in: .whitespaces)) }
        }
        return (fields["wchar"] ?? 0, fields["syscw"] ?? 0)
    }
}
