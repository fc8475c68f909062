import Foundation

/// The figures of one scenario run: printed for a person, or as one JSON object with
/// `--json` for scripts that track them over time.
struct BenchmarkReport {
    let scenario: String
    let records: Int
    /// Wall time of the measured phase behind `records_per_s`.
    let seconds: Double
    let recordsPerSecond: Double
    let rawRecordsPerSecond: Double?
    /// Further figures of the scenario, in the order they should print.
    var extra: [(key: String, value: Double)] = []

    var ratio: Double? { rawRecordsPerSecond.map { recordsPerSecond / $0 } }

    /// The process's peak resident set size, from /proc (Linux's VmHWM).
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }

    func json() -> String {
        var parts = [
            #""scenario":"\#(scenario)""#, #""records":\#(records)"#,
            #""seconds":\#(format(seconds))"#, #""records_per_s":\#(format(recordsPerSecond))"#,
        ]
        if let rawRecordsPerSecond, let ratio {
            parts.append(#""raw_records_per_s":\#(format(rawRecordsPerSecond))"#)
            parts.append(#""ratio":\#(format(ratio))"#)
        }
        parts.append(#""peak_rss_bytes":\#(Self.peakResidentBytes())"#)
        for (key, value) in extra { parts.append(#""\#(key)":\#(format(value))"#) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    func text() -> String {
        var lines = ["scenario \(scenario), \(records) records"]
        for (key, value) in extra { lines.append("  \(key): \(format(value))") }
        lines.append("  records/s: \(format(recordsPerSecond)) (\(format(seconds)) s)")
        if let rawRecordsPerSecond, let ratio {
            lines.append("  raw records/s: \(format(rawRecordsPerSecond))")
            lines.append("  ratio: \(format(ratio))")
        }
        lines.append("  peak RSS: \(Self.peakResidentBytes() / 1_048_576) MiB")
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        String(format: value >= 100 ? "%.0f" : "%.3f", value)
    }
}

/// Seconds taken by `body`, from a monotonic clock.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// A progress line on stderr, so that a long run shows which phase it is in and a
/// profiler can be attached when the measured phase begins.
func progress(_ message: String) {
    FileHandle.standardError.write(Data("rehabsync-bench: \(message)\n".utf8))
}

/// CPU seconds (user and system) this process has used so far: beside wall time, a figure
/// that a busy neighbour on a shared machine disturbs less.
func processCPUSeconds() -> Double {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
