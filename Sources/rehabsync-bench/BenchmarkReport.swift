import Foundation

/// The figures of one scenario run: printed for a person, or as one JSON object with
/// `--json` for scripts that track them over time.
struct BenchmarkReport {
    let scenario: String
    let records: Int
    /// Wall time of the measured phase behind `records_per_s`.
    let seconds: Double
    let recordsPerSecond: Double
    /// The fair yardstick: the same rows by the plainest loop under the same conditions.
    let rawRecordsPerSecond: Double?
    /// Further figures of the scenario, in the order they should print.
    var extra: [(key: String, value: Double)] = []

    var ratio: Double? { rawRecordsPerSecond.map { recordsPerSecond / $0 } }

    /// Every figure by name, headline first.
    var figures: [(key: String, value: Double)] {
        var figures: [(key: String, value: Double)] = [("seconds", seconds), ("records_per_s", recordsPerSecond)]
        if let rawRecordsPerSecond, let ratio {
            figures += [("raw_records_per_s", rawRecordsPerSecond), ("ratio", ratio)]
        }
        return figures + extra
    }

    /// The process's peak resident set size, from /proc (Linux's VmHWM).
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}

/// Several measured runs of one scenario (after a warm-up that is not among them): every
/// figure as the median of the runs, and for the figures that carry a goal or a
/// comparison each run's value and the spread, so a reader sees how much a busy machine
/// moved them.
struct BenchmarkSummary {
    let reports: [BenchmarkReport]
    /// Figures printed with every run's value and the spread, not only the median.
    static let spreadFigures: Set<String> = [
        "records_per_s", "raw_records_per_s", "ratio", "ratio_to_raw_sqlite_checkpoint", "ratio_to_raw_keyed", "client_peak_rss_bytes",
    ]

    init(_ reports: [BenchmarkReport]) {
        precondition(!reports.isEmpty, "a summary needs at least one run")
        self.reports = reports
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Each figure's name, its median and every run's value, in the first run's order.
    var figures: [(key: String, median: Double, runs: [Double])] {
        // safe because init refuses an empty list
        let first = reports[0]
        return first.figures.map { figure in
            let runs = reports.compactMap { report in report.figures.first { $0.key == figure.key }?.value }
            return (figure.key, Self.median(runs), runs)
        }
    }

    /// The spread of a figure: (largest - smallest) / median.
    static func spread(_ runs: [Double], median: Double) -> Double {
        guard let low = runs.min(), let high = runs.max(), median != 0 else { return 0 }
        return (high - low) / median
    }

    func json() -> String {
        var parts = [#""scenario":"\#(reports[0].scenario)""#, #""records":\#(reports[0].records)"#, #""runs":\#(reports.count)"#]
        for (key, median, runs) in figures {
            parts.append(#""\#(key)":\#(format(median))"#)
            if Self.spreadFigures.contains(key) {
                parts.append(#""\#(key)_runs":[\#(runs.map(format).joined(separator: ","))]"#)
                parts.append(#""\#(key)_spread":\#(format(Self.spread(runs, median: median)))"#)
            }
        }
        parts.append(#""peak_rss_bytes":\#(BenchmarkReport.peakResidentBytes())"#)
        return "{" + parts.joined(separator: ",") + "}"
    }

    func text() -> String {
        var lines = ["scenario \(reports[0].scenario), \(reports[0].records) records, median of \(reports.count) runs after a warm-up"]
        for (key, median, runs) in figures {
            var line = "  \(key): \(format(median))"
            if Self.spreadFigures.contains(key) {
                line += " (runs \(runs.map(format).joined(separator: ", ")); spread \(String(format: "%.1f", Self.spread(runs, median: median) * 100))%)"
            }
            lines.append(line)
        }
        lines.append("  peak RSS of this process: \(BenchmarkReport.peakResidentBytes() / 1_048_576) MiB")
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        String(format: abs(value) >= 100 ? "%.0f" : "%.3f", value)
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
