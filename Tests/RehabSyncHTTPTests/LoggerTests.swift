@testable import RehabSyncHTTP
import Synchronization
import Testing

/// Collects log lines in memory.
final class LogCapture: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    /// The first line matching `predicate`, waiting up to a second for it to be written.
    func waitForLine(_ predicate: (String) -> Bool) -> String? {
        for _ in 0..<100 {
            if let line = lines.first(where: predicate) { return line }
            usleepMilliseconds(10)
        }
        return nil
    }

    var sink: Logger.Sink {
        Logger.Sink { [self] line in storage.withLock { $0.append(line) } }
    }
}

struct LoggerTests {
    @Test func writesOneLineWithTimeLevelLabelMessageAndMetadata() throws {
        let capture = LogCapture()
        let logger = Logger(label: "http", metadata: [("replica", "r1")], sink: capture.sink)
            .with("request_id", "abc")
        logger.info("request done", [("path", "/a b"), ("empty", ""), ("quote", "say \"x\"")])
        let line = try #require(capture.lines.first)
        let parts = line.split(separator: " ", maxSplits: 3)
        #expect(parts.count == 4)
        #expect(parts[0].hasSuffix("Z") && parts[0].contains("T"))
        #expect(parts[1] == "info")
        #expect(parts[2] == "http")
        #expect(parts[3] == #"request done replica=r1 request_id=abc path="/a b" empty="" quote="say \"x\"""#)
    }

    @Test func dropsEventsBelowTheMinimumLevel() {
        let capture = LogCapture()
        let logger = Logger(label: "x", minimumLevel: .warning, sink: capture.sink)
        logger.info("quiet")
        logger.error("loud")
        #expect(capture.lines.count == 1)
    }

    @Test func keepsEveryEventOnOneLine() throws {
        let capture = LogCapture()
        Logger(label: "x", sink: capture.sink).warning("two\nlines", [("value", "a\nb")])
        let line = try #require(capture.lines.first)
        #expect(!line.contains("\n"))
        #expect(line.hasSuffix(#"two\nlines value="a\nb""#))
    }
}
