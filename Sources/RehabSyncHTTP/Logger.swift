#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small value-type logger in the manner of swift-log: passed explicitly, carrying a
/// label and metadata, writing one line per event:
///
///     2025-01-31T09:41:07.123Z info http request method=GET path=/sync status=200 request_id=4f1c…
///
/// Values containing spaces, quotes, `=` or control characters are quoted and escaped,
/// so every event stays one parseable line. Never pass bodies or header values (other
/// than the request id) as metadata: they may carry patient data.
public struct Logger: Sendable {
    /// Severity, from least to most severe.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }
    }

    /// Where finished lines go (without a trailing newline; the sink adds it if needed).
    public struct Sink: Sendable {
        let write: @Sendable (String) -> Void

        /// A sink calling `write` with each line.
        public init(_ write: @escaping @Sendable (String) -> Void) {
            self.write = write
        }

        /// Standard error, one `write(2)` per line so lines from different threads never
        /// interleave.
        public static let standardError = Sink { line in
            let bytes = Array((line + "\n").utf8)
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    // Safe because offset < count, so the base address plus offset is in bounds.
                    let written = writeToDescriptor(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }  // Nowhere left to report a failing stderr.
                    offset += written
                }
            }
        }
    }

    /// Names the component, such as `http`.
    public var label: String
    /// Events below this level are dropped.
    public var minimumLevel: Level
    /// Key-values added to every line, in order.
    public private(set) var metadata: [(key: String, value: String)]
    private let sink: Sink

    /// Creates a logger writing lines at `minimumLevel` and above to `sink` (default stderr).
    public init(label: String, minimumLevel: Level = .info, metadata: [(String, String)] = [], sink: Sink = .standardError) {
        self.label = label
        self.minimumLevel = minimumLevel
        self.metadata = metadata.map { (key: $0.0, value: $0.1) }
        self.sink = sink
    }

    /// A copy whose lines all carry `key=value` too (replacing an earlier value for `key`).
    public func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy.metadata.removeAll { $0.key == key }
        copy.metadata.append((key: key, value: value))
        return copy
    }

    /// Whether an event at `level` would be written; check it before building costly messages.
    public func isEnabled(_ level: Level) -> Bool { level >= minimumLevel }

    /// Writes one line if `level` is at least ``minimumLevel``.
    public func log(_ level: Level, _ message: String, _ extra: [(String, String)] = []) {
        guard isEnabled(level) else { return }
        sink.write(format(level, message, extra))
    }

    /// Logs at ``Level/trace``.
    public func trace(_ message: String, _ extra: [(String, String)] = []) { log(.trace, message, extra) }
    /// Logs at ``Level/debug``.
    public func debug(_ message: String, _ extra: [(String, String)] = []) { log(.debug, message, extra) }
    /// Logs at ``Level/info``.
    public func info(_ message: String, _ extra: [(String, String)] = []) { log(.info, message, extra) }
    /// Logs at ``Level/notice``.
    public func notice(_ message: String, _ extra: [(String, String)] = []) { log(.notice, message, extra) }
    /// Logs at ``Level/warning``.
    public func warning(_ message: String, _ extra: [(String, String)] = []) { log(.warning, message, extra) }
    /// Logs at ``Level/error``.
    public func error(_ message: String, _ extra: [(String, String)] = []) { log(.error, message, extra) }
    /// Logs at ``Level/critical``.
    public func critical(_ message: String, _ extra: [(String, String)] = []) { log(.critical, message, extra) }

    /// The line for an event, without a newline.
    func format(_ level: Level, _ message: String, _ extra: [(String, String)]) -> String {
        var line = "\(WallClock.iso8601()) \(level) \(label) \(Self.escapedMessage(message))"
        for (key, value) in metadata.map({ ($0.key, $0.value) }) + extra {
            line += " \(key)=\(Self.quotedIfNeeded(value))"
        }
        return line
    }

    /// Messages are free text, so only line breaks and other control characters need
    /// escaping to keep the event on one line.
    private static func escapedMessage(_ message: String) -> String {
        guard message.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return message }
        var out = ""
        for scalar in message.unicodeScalars {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? escape(scalar) : String(scalar)
        }
        return out
    }

    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F
        }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out += scalar.value < 0x20 || scalar.value == 0x7F ? escape(scalar) : String(scalar)
            }
        }
        return out + "\""
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}

/// `write(2)` under a name that does not collide with the logger's methods.
private func writeToDescriptor(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
