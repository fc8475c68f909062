@testable import RehabSyncHTTP

/// How a test hands bytes to the parser: all at once, or one byte per feed.
enum FeedMode: String, CaseIterable, Sendable, CustomStringConvertible {
    case whole
    case byteByByte

    var description: String { rawValue }
}

/// Feeds `text` and collects every event except `needMoreData`, stopping at an error.
func parseEvents(_ text: String, mode: FeedMode, limits: HTTPLimits = HTTPLimits()) -> [HTTPParserEvent] {
    parseEvents(Array(text.utf8), mode: mode, limits: limits)
}

func parseEvents(_ bytes: [UInt8], mode: FeedMode, limits: HTTPLimits = HTTPLimits()) -> [HTTPParserEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPParserEvent] = []
    let pieces: [ArraySlice<UInt8>] = switch mode {
    case .whole: [bytes[...]]
    case .byteByByte: bytes.indices.map { bytes[$0...$0] }
    }
    for piece in pieces {
        parser.feed(piece)
        while true {
            let event = parser.next()
            if event == .needMoreData { break }
            events.append(event)
            if case .error = event { return events }
        }
    }
    return events
}

/// The completed requests among `events`.
func requests(in events: [HTTPParserEvent]) -> [HTTPRequest] {
    events.compactMap { if case .complete(let request) = $0 { request } else { nil } }
}

/// The error among `events`, if any.
func parseError(in events: [HTTPParserEvent]) -> HTTPParseError? {
    events.lazy.compactMap { if case .error(let error) = $0 { error } else { nil } }.first
}
