import RehabSyncCore
import Testing

/// A reader of many canonical states shares the strings it built for one state with the
/// next (``JSONParser/readState(keepingCanonicalBytes:)``, ``JSONParser/readCanonicalState(keeping:)``):
/// what it shares must be exactly what a fresh decode builds, however alike the strings are.
struct CanonicalStringsTests {
    static let first = ReplicaID(high: 0x0000_0000_0000_4000, low: 0x8000_0000_0000_0001)
    static let second = ReplicaID(high: 0x0000_0000_0000_4000, low: 0x8000_0000_0000_0002)

    /// Strings that a table keyed on length and first and last eight bytes would confuse:
    /// equal in all three and different in the middle, different only in the last byte, in
    /// a two-byte letter, or short enough to fit a word.
    static let values: [String] = [
        "Bedömning av rehabiliteringsbehov, mål och planerade åtgärder.",
        "Bedömning av rehabiliteringsbehov, mål och PLANERADE åtgärder.",
        "Bedömning av rehabiliteringsbehov, mål och planerade åtgärder!",
        "särskilda", "särskildä", "active", "activf", "a", "b", "", "SE2321000016-N001", "SE2321000016-N002",
    ]
    static let authors = ["SE2321000016-N001", "SE2321000016-N002", "SE2321000016-M001", "x", "y"]

    /// State `index`: two concurrent writers, so each field has two siblings whose authors
    /// and values take turns through the lists above, strings inside arrays and objects too.
    static func state(_ index: Int) throws -> RecordState {
        func write(_ replica: ReplicaID, _ offset: Int) throws -> RecordState {
            let pick = { (list: [String], step: Int) in list[(index &* 7 &+ offset &+ step) % list.count] }
            return try RecordState().applying([
                "summary": .string(pick(values, 0)), "status": .string(pick(values, 1)),
                "careUnits": .array([.string(pick(values, 2)), .string(pick(values, 3))]),
                "details": .object([pick(values, 4): .string(pick(values, 5)), "n": .integer(Int64(index) - 3)]),
            ], stamp: WriteStamp(dot: Dot(replica: replica, counter: Int64(index + 1)), hlc: HLCTimestamp(milliseconds: 1_000, logical: Int64(index)),
                                 author: pick(authors, offset), wallMilliseconds: 1_000))
        }
        return try write(first, 0).joined(with: write(second, 1))
    }

    @Test("States read one after another by one reader share strings and still equal the states a fresh decoder reads, byte for byte")
    func sharedStringsEqualFreshOnes() throws {
        let states = try (0..<60).map(Self.state)
        // Every fifth state with a space inside: the full decoder reads it, between states
        // the check reads with the strings it remembers.
        let texts = states.enumerated().map { index, state in
            index % 5 == 4 ? "{ " + state.canonicalText.dropFirst() : state.canonicalText
        }
        let body = Array("[\(texts.joined(separator: ","))]".utf8)
        var reader = JSONParser(body)
        var read: [(state: RecordState, canonicalBytes: [UInt8]?)] = []
        try reader.readArray(path: "") { reader, _ throws(CoreError) in
            read.append(try reader.readState(keepingCanonicalBytes: ""))
        }
        try reader.finish()
        #expect(read.count == states.count)
        for (index, (state, canonicalBytes)) in read.enumerated() {
            let bytes = states[index].canonicalBytes
            var fresh = JSONParser(bytes)
            let decoded = try RecordState(reading: &fresh, path: "")
            #expect(state == decoded, "state \(index)")
            #expect(canonicalBytes == (index % 5 == 4 ? nil : bytes), "state \(index)")
            #expect(state.canonicalBytes == bytes, "state \(index)")
            for (field, expected) in zip(state.fields, decoded.fields) {
                #expect(Array(field.name.utf8) == Array(expected.name.utf8), "state \(index)")
                for (sibling, other) in zip(field.siblings, expected.siblings) {
                    #expect(Array(sibling.author.utf8) == Array(other.author.utf8), "state \(index) \(field.name)")
                    #expect(sibling.value.canonicalText == other.value.canonicalText, "state \(index) \(field.name)")
                }
            }
        }
    }

    @Test("A pull page's reader shares strings across states and keeps exactly the fields a fresh decoder reads")
    func sharedStringsInPartialStates() throws {
        let states = try (0..<60).map(Self.state)
        let body = Array("[\(states.map(\.canonicalText).joined(separator: ","))]".utf8)
        var reader = JSONParser(body)
        let keeping = CanonicalFieldNames(["careUnits", "summary"])
        var read: [CanonicalState] = []
        try reader.readArray(path: "") { reader, _ throws(CoreError) in
            guard let state = reader.readCanonicalState(keeping: keeping) else { throw CoreError(.malformedJSON, "not canonical") }
            read.append(state)
        }
        for (index, state) in read.enumerated() {
            #expect(state.partial.fields == states[index].fields.filter { ["careUnits", "summary"].contains($0.name) }, "state \(index)")
            #expect(state.bytes == states[index].canonicalBytes, "state \(index)")
        }
    }

    @Test("A value spoilt by one ill-formed byte is refused even after the well-formed value it spoils was remembered")
    func illFormedBytesAreNotTakenForRememberedOnes() throws {
        let text = try Self.state(0).canonicalText
        let good = Array(text.utf8)
        // The "å" of "mål" (C3 A5), in the middle of a long value, away from the first and
        // last eight bytes a table might key on; C3 followed by "(" is not UTF-8, at the
        // same length and place.
        let mal = Array("mål".utf8)
        let at = try #require(good.indices.first { Array(good[$0..<min($0 + 4, good.count)]) == mal }) + 1
        #expect(good[at] == 0xC3 && good[at + 1] == 0xA5)
        var bad = good
        bad[at + 1] = UInt8(ascii: "(")
        #expect(String(validating: bad, as: UTF8.self) == nil)
        var fresh = JSONParser(bad)
        #expect((try? RecordState(reading: &fresh, path: "")) == nil)
        let body = Array("[".utf8) + good + Array(",".utf8) + good + Array(",".utf8) + bad + Array("]".utf8)
        var reader = JSONParser(body)
        var outcomes: [Bool] = []
        do {
            try reader.readArray(path: "") { reader, _ throws(CoreError) in
                _ = try reader.readState(keepingCanonicalBytes: "")
                outcomes.append(true)
            }
            Issue.record("the spoilt state was read")
        } catch {
            #expect(error.code == .malformedJSON)
        }
        #expect(outcomes == [true, true])
    }
}
