import RehabSyncCore
import RehabSyncDomain
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage

/// The parsers that face untrusted bytes, each with the properties it must keep whatever
/// it is fed. Driven by libFuzzer (`rehabsync-fuzz`, built with `-sanitize=fuzzer`) and by
/// a seeded mutator in `swift test`; both call ``run(_:)``.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The HTTP/1.1 request parser: the same events however the bytes are split.
    case httpParser = "http-parser"
    /// Decoding a record state: what decodes re-encodes to bytes that decode to the same.
    case recordState = "record-state"
    /// Decoding a push body: refusals carry 400, 413 or 422; accepted states round-trip.
    case pushBatch = "push-batch"
    /// Personnummer, samordningsnummer, reserve numbers, HSA-ids and KVÅ codes: what is
    /// accepted is accepted again, unchanged, in its normalised form.
    case identifiers

    /// Whether the input was accepted (parsed, decoded, valid) or refused.
    public enum Outcome: Sendable {
        case accepted
        case refused
    }

    /// A property the target broke: a bug, even though nothing crashed.
    public struct Violation: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Feeds `bytes` to the target and checks its properties.
    ///
    /// - Throws: ``Violation`` when a property does not hold.
    public func run(_ bytes: [UInt8]) throws(Violation) -> Outcome {
        switch self {
        case .httpParser: try Self.httpParser(bytes)
        case .recordState: try Self.recordState(bytes)
        case .pushBatch: try Self.pushBatch(bytes)
        case .identifiers: try Self.identifiers(bytes)
        }
    }

    /// Small limits, so that mutated inputs reach every limit's refusal.
    static let limits: HTTPLimits = {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 4_096
        return limits
    }()

    private static func httpParser(_ bytes: [UInt8]) throws(Violation) -> Outcome {
        let whole = events(feeding: [bytes[...]])
        // Split where the input's own bytes say, so each input tries its own splits.
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let length = Int(bytes[start] % 7) + 1
            let end = min(bytes.count, start + length)
            pieces.append(bytes[start..<end])
            start = end
        }
        let split = events(feeding: pieces)
        guard whole == split else {
            throw Violation(description: "split feeding gave \(split.count) events, whole feeding \(whole.count): \(split) vs \(whole)")
        }
        return whole.contains { if case .complete = $0 { true } else { false } } ? .accepted : .refused
    }

    /// Every event that is not `needMoreData`, feeding `pieces` one by one.
    private static func events(feeding pieces: [ArraySlice<UInt8>]) -> [HTTPParserEvent] {
        var parser = HTTPRequestParser(limits: limits)
        var found: [HTTPParserEvent] = []
        for piece in pieces {
            parser.feed(piece)
            // A parser in error repeats its error; the first is the one that counts.
            while found.count < 64 {
                let event = parser.next()
                if event == .needMoreData { break }
                found.append(event)
                if case .error = event { return found }
            }
        }
        return found
    }

    private static func recordState(_ bytes: [UInt8]) throws(Violation) -> Outcome {
        guard let state = try? RecordState(decoding: bytes) else { return .refused }
        try roundTrip(state, at: "state")
        return .accepted
    }

    private static func roundTrip(_ state: RecordState, at path: String) throws(Violation) {
        let encoded = state.canonicalBytes
        let again: RecordState
        do { again = try RecordState(decoding: encoded) } catch {
            throw Violation(description: "\(path): the canonical encoding of a decoded state does not decode: \(error)")
        }
        guard again == state, again.canonicalBytes == encoded else {
            throw Violation(description: "\(path): decoding the canonical encoding gave another state")
        }
    }

    private static func pushBatch(_ bytes: [UInt8]) throws(Violation) -> Outcome {
        let records: [IncomingRecord]
        do { records = try PushBodyDecoder.decode(bytes, maximumRecords: 16) } catch {
            guard [400, 413, 422].contains(error.status) else {
                throw Violation(description: "a push body was refused with \(error.status), not 400, 413 or 422: \(error)")
            }
            return .refused
        }
        guard records.count <= 16 else { throw Violation(description: "\(records.count) records passed a limit of 16") }
        for (index, record) in records.enumerated() { try roundTrip(record.state, at: "records[\(index)]") }
        return .accepted
    }

    /// A fixed "today", so that an input's outcome never depends on the date it runs.
    static let today = CivilDate(year: 2026, month: 12, day: 1)

    private static func identifiers(_ bytes: [UInt8]) throws(Violation) -> Outcome {
        let text = String(decoding: bytes, as: UTF8.self)
        var accepted = false
        if let hsa = try? HSAID(text) {
            accepted = true
            guard (try? HSAID(hsa.value))?.value == hsa.value else { throw Violation(description: "HSA-id \(hsa.value) is not accepted again") }
        }
        if let code = try? KVACode(text) {
            accepted = true
            guard (try? KVACode(code.value))?.value == code.value else { throw Violation(description: "KVÅ code \(code.value) is not accepted again") }
        }
        if let today, let number = try? PersonalIdentityNumber.parse(text, today: today) {
            accepted = true
            let again = try? PersonalIdentityNumber.parse(number.canonical, today: today)
            guard again?.canonical == number.canonical, again?.kind == number.kind else {
                throw Violation(description: "an identifier's canonical form is not accepted again as the same")
            }
        }
        return accepted ? .accepted : .refused
    }
}
