import RehabSyncCommandLine
import Testing

/// Progress on standard error, decided without a terminal or a clock.
struct ProgressReporterTests {
    static let clear = "\r\u{1B}[K"

    @Test("On a terminal it redraws done, total, rate and time left at most every 250 ms, then a summary replaces the line")
    func terminalRedrawsAndSummarises() {
        var reporter = ProgressReporter(task: "backup", unit: "pages", display: .terminal, startedAt: 1_000)
        #expect(reporter.update(done: 0, total: 4_000, at: 1_000) == Self.clear + "backup: 0/4000 pages (0%)")
        #expect(reporter.update(done: 500, total: 4_000, at: 1_100) == nil)
        #expect(reporter.update(done: 1_000, total: 4_000, at: 1_249) == nil)
        #expect(reporter.update(done: 1_000, total: 4_000, at: 2_000)
            == Self.clear + "backup: 1000/4000 pages (25%), 1000 pages/s, about 3.0s left")
        #expect(reporter.update(done: 3_900, total: 4_000, at: 2_200) == nil)
        #expect(reporter.update(done: 4_000, total: 4_000, at: 3_000) == Self.clear + "backup: 4000/4000 pages (100%), 2000 pages/s, about 0.0s left")
        #expect(reporter.finish(at: 3_000, detail: ", 16384000 bytes") == Self.clear + "backup: 4000 pages in 2.0s (2000 pages/s), 16384000 bytes\n")
    }

    @Test("Without a terminal only the summary is written, and with --quiet nothing at all")
    func pipesGetTheSummaryAndQuietGetsNothing() {
        var piped = ProgressReporter(task: "export 2026-02", unit: "deliveries", display: .summaryOnly, startedAt: 0)
        #expect(piped.update(done: 0, total: 3, at: 0) == nil)
        #expect(piped.update(done: 3, total: 3, at: 90_000) == nil)
        #expect(piped.abandon() == nil)
        #expect(piped.finish(at: 90_000) == "export 2026-02: 3 deliveries in 1m30s (0 deliveries/s)\n")
        var quiet = ProgressReporter(task: "backup", unit: "pages", display: ProgressReporter.Display(quiet: true, isTerminal: true), startedAt: 0)
        #expect(quiet.update(done: 1, total: 2, at: 0) == nil)
        #expect(quiet.finish(at: 10) == nil)
        #expect(ProgressReporter.Display(quiet: false, isTerminal: true) == .terminal)
        #expect(ProgressReporter.Display(quiet: false, isTerminal: false) == .summaryOnly)
    }

    @Test("An unknown total shows the count and rate alone, and a failure ends a redrawn line so the error starts afresh")
    func unknownTotalAndFailure() {
        var reporter = ProgressReporter(task: "sync", unit: "records", display: .terminal, startedAt: 0)
        #expect(reporter.abandon() == nil)
        #expect(reporter.update(done: 12_000, total: nil, at: 4_000) == Self.clear + "sync: 12000 records, 3000 records/s")
        #expect(reporter.abandon() == "\n")
        #expect(reporter.finish(at: 7_200_000) == Self.clear + "sync: 12000 records in 2h00m (1 records/s)\n")
    }
}
