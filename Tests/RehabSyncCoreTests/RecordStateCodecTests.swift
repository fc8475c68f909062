import Foundation
import RehabSyncCore
import Testing

struct RecordStateCodecTests {
    let a = "00000000-0000-4000-8000-00000000000a"

    @Test("A counter or clock written with a zero fraction is read as the whole number, and written back without it")
    func readsWholeNumbersWrittenWithAFraction() throws {
        let spelled = #"{"context":{"\#(a)":1.0},"fields":{"x":[{"author":"SE2321000016-1000","dot":["\#(a)",1.0],"hlc":[7.0,0.0],"value":"v","wall":1700000000001.0}]}}"#
        let plain = #"{"context":{"\#(a)":1},"fields":{"x":[{"author":"SE2321000016-1000","dot":["\#(a)",1],"hlc":[7,0],"value":"v","wall":1700000000001}]}}"#
        let state = try RecordState(decoding: Array(spelled.utf8))
        #expect(state.canonicalText == plain)
        #expect(throws: CoreError.self) { try RecordState(decoding: Array(spelled.replacingOccurrences(of: "7.0", with: "7.5").utf8)) }
    }

    @Test("A sibling the context does not cover is named under the state's own path")
    func uncoveredSiblingIsNamedUnderItsPath() throws {
        let text = #"{"context":{},"fields":{"x":[{"author":"SE2321000016-1000","dot":["\#(a)",1],"hlc":[7,0],"value":"v","wall":1}]}}"#
        var reader = JSONParser(Array(text.utf8))
        do {
            _ = try RecordState(reading: &reader, path: "records[0].state")
            Issue.record("an uncovered sibling was accepted")
        } catch {
            #expect(error.code == .uncoveredSibling)
            #expect(error.field == "records[0].state.fields.x[0].dot")
        }
    }

    @Test func encodesWithSortedKeysAndNoWhitespace() throws {
        let state = try RecordState().applying(["title": .string("Plan"), "careUnits": .array([.string("SE1")])],
                                               stamp: stamp(Replicas.a, 1, hlc: 7))
        let expected = #"{"context":{"\#(a)":1},"fields":{"careUnits":[{"author":"SE2321000016-1000","dot":["\#(a)",1],"hlc":[7,0],"value":["SE1"],"wall":1700000000001}],"title":[{"author":"SE2321000016-1000","dot":["\#(a)",1],"hlc":[7,0],"value":"Plan","wall":1700000000001}]}}"#
        #expect(state.canonicalText == expected)
        #expect(try RecordState(decoding: Array(expected.utf8)) == state)
    }

    @Test func decodesSiblingsInAnyOrderToTheSameState() throws {
        let base = try RecordState().applying(["x": .integer(0)], stamp: stamp(Replicas.a, 1))
        let left = try base.applying(["x": .integer(1)], stamp: stamp(Replicas.a, 2))
        let right = try base.applying(["x": .integer(2)], stamp: stamp(Replicas.b, 1))
        let joined = left.joined(with: right)
        guard case .object(var members) = try JSONParser.parse(joined.canonicalBytes),
            case .object(var fields) = members["fields"], case .array(let siblings) = fields["x"]
        else {
            Issue.record("unexpected shape")
            return
        }
        fields["x"] = .array(siblings.reversed())
        members["fields"] = .object(fields)
        #expect(try RecordState(json: .object(members)) == joined)
    }

    /// Canonical siblings are read by matching their exact bytes, anything else by the
    /// general reader: both must give the same state, for conflicts and odd values too.
    @Test func decodesCanonicalAndSpacedOutDocumentsToTheSameState() throws {
        for seed in propertySeeds(default: Array(1...20)) {
            var simulation = Simulation(seed: seed, replicaCount: 3)
            for _ in 0..<80 { try simulation.randomStep() }
            for state in simulation.replicas.flatMap(\.records.values) {
                let canonical = state.canonicalBytes
                #expect(try RecordState(decoding: canonical) == state, "canonical, seed \(seed)")
                #expect(try RecordState(decoding: Self.spacedOut(canonical)) == state, "spaced out, seed \(seed)")
            }
        }
    }

    /// The same document with a space after every ',' and ':' outside strings.
    static func spacedOut(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var inString = false
        var escaped = false
        for byte in bytes {
            result.append(byte)
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":") {
                result.append(UInt8(ascii: " "))
            }
        }
        return result
    }

    /// A sibling in the canonical form with the parts a test wants to break.
    func document(context: String, dot: String = #"["00000000-0000-4000-8000-00000000000a",1]"#,
                  hlc: String = "[1,0]", siblings: String? = nil, extra: String = "") -> String {
        let sibling = #"{"author":"SE1","dot":\#(dot),"hlc":\#(hlc),"value":1,"wall":1}"#
        return #"{"context":\#(context),"fields":{"x":[\#(siblings ?? sibling)]}\#(extra)}"#
    }

    @Test(arguments: [
        (#"{"00000000-0000-4000-8000-00000000000a":-1}"#, CoreError.Code.negativeCounter, "context.00000000-0000-4000-8000-00000000000a"),
        (#"{"00000000-0000-4000-8000-00000000000a":9007199254740992}"#, .counterOverflow, "context.00000000-0000-4000-8000-00000000000a"),
        (#"{"00000000-0000-4000-8000-00000000000a":99999999999999999999}"#, .counterOverflow, "context.00000000-0000-4000-8000-00000000000a"),
        (#"{"not-a-replica":1}"#, .invalidReplicaID, "context.not-a-replica"),
        (#"{"00000000-0000-4000-8000-00000000000A":1}"#, .invalidReplicaID, "context.00000000-0000-4000-8000-00000000000A"),
        (#"{"00000000-0000-4000-8000-00000000000b":1}"#, .uncoveredSibling, "fields.x[0].dot"),
    ])
    func refusesMalformedContexts(context: String, code: CoreError.Code, field: String) {
        let text = document(context: context)
        #expect { try RecordState(decoding: Array(text.utf8)) } throws: { error in
            let error = error as? CoreError
            return error?.code == code && error?.field == field
        }
    }

    @Test func refusesASiblingWithABadReplicaId() {
        let text = document(context: #"{"00000000-0000-4000-8000-00000000000a":1}"#, dot: #"["nope",1]"#)
        #expect { try RecordState(decoding: Array(text.utf8)) } throws: { error in
            (error as? CoreError) == CoreError(.invalidReplicaID, "replica ids are lowercase UUIDs", field: "fields.x[0].dot")
        }
    }

    @Test func refusesANegativeClock() {
        let text = document(context: #"{"00000000-0000-4000-8000-00000000000a":1}"#, hlc: "[-5,0]")
        #expect { try RecordState(decoding: Array(text.utf8)) } throws: { error in
            (error as? CoreError)?.code == .negativeCounter && (error as? CoreError)?.field == "fields.x[0].hlc"
        }
    }

    @Test func refusesAnEmptySiblingSet() {
        let text = #"{"context":{},"fields":{"x":[]}}"#
        #expect { try RecordState(decoding: Array(text.utf8)) } throws: { error in
            (error as? CoreError)?.code == .emptySiblings && (error as? CoreError)?.field == "fields.x"
        }
    }

    @Test func refusesTheSameDotTwiceInOneField() {
        let sibling = #"{"author":"SE1","dot":["00000000-0000-4000-8000-00000000000a",1],"hlc":[1,0],"value":1,"wall":1}"#
        let text = document(context: #"{"00000000-0000-4000-8000-00000000000a":1}"#, siblings: sibling + "," + sibling)
        #expect { try RecordState(decoding: Array(text.utf8)) } throws: { error in
            (error as? CoreError)?.code == .duplicateSibling
        }
    }

    @Test func refusesUnknownAndMissingMembers() {
        let unknown = document(context: "{}", extra: #","deleted":true"#)
        #expect { try RecordState(decoding: Array(unknown.utf8)) } throws: { error in
            (error as? CoreError)?.code == .unexpectedKey && (error as? CoreError)?.field == "deleted"
        }
        #expect { try RecordState(decoding: Array(#"{"fields":{}}"#.utf8)) } throws: { error in
            (error as? CoreError)?.code == .missingKey && (error as? CoreError)?.field == "context"
        }
    }

    @Test func refusesAnEmptyAuthor() {
        let sibling = #"{"author":"","dot":["00000000-0000-4000-8000-00000000000a",1],"hlc":[1,0],"value":1,"wall":1}"#
        let text = document(context: #"{"00000000-0000-4000-8000-00000000000a":1}"#, siblings: sibling)
        #expect { try RecordState(decoding: Array(text.utf8)) } throws: { error in
            (error as? CoreError)?.code == .invalidAuthor
        }
    }

    @Test func errorMessagesNeverEchoFieldValues() {
        let sibling = #"{"author":"SE1","dot":["00000000-0000-4000-8000-00000000000a",1],"hlc":[1,0],"value":"19121212-1212","wall":1}"#
        let text = document(context: #"{"00000000-0000-4000-8000-00000000000b":1}"#, siblings: sibling)
        do {
            _ = try RecordState(decoding: Array(text.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("19121212"))
        }
    }
}
