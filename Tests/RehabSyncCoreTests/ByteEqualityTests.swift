import RehabSyncCore
import Testing

/// Equal means equal canonical bytes: values that Swift's own `==` calls equal but that
/// encode differently must not be taken for one another by the join.
struct ByteEqualityTests {
    /// "Café" with a precomposed é (NFC) and with e + combining acute (NFD).
    static let composed = "Caf\u{00E9}"
    static let decomposed = "Cafe\u{0301}"

    @Test func valuesThatEncodeDifferentlyAreNotEqual() {
        // Swift's String `==` is canonical equivalence; the values must not inherit it.
        #expect(Self.composed == Self.decomposed)
        #expect(JSONValue.string(Self.composed) != .string(Self.decomposed))
        #expect(JSONValue.double(0.0) != .double(-0.0))
        #expect(JSONValue.object([Self.composed: .integer(1)]) != .object([Self.decomposed: .integer(1)]))
        #expect(JSONValue.array([.double(-0.0)]) != .array([.double(0.0)]))
        // Equal bytes stay equal.
        #expect(JSONValue.object(["a": .array([.string(Self.composed), .double(1.5)])])
            == .object(["a": .array([.string(Self.composed), .double(1.5)])]))
        #expect(JSONValue.string(Self.composed).canonicalBytes != JSONValue.string(Self.decomposed).canonicalBytes)
        #expect(JSONValue.double(0.0).canonicalBytes != JSONValue.double(-0.0).canonicalBytes)
    }

    @Test(arguments: [
        (JSONValue.string(ByteEqualityTests.composed), JSONValue.string(ByteEqualityTests.decomposed)),
        (JSONValue.double(0.0), JSONValue.double(-0.0)),
    ])
    func twoCopiesOfOneWriteThatDifferInBytesJoinToTheSameBytesEitherWay(first: JSONValue, second: JSONValue) throws {
        // A corrupt peer holds the same dot with other bytes; the join must not keep
        // "whichever side it holds", or the two orders give different records.
        let mine = try RecordState().applying(["title": first], stamp: stamp(Replicas.a, 1))
        let theirs = try RecordState().applying(["title": second], stamp: stamp(Replicas.a, 1))
        #expect(mine != theirs)
        let leftFirst = mine.joined(with: theirs)
        let rightFirst = theirs.joined(with: mine)
        #expect(leftFirst.canonicalBytes == rightFirst.canonicalBytes)
        #expect(leftFirst == rightFirst)
    }

    @Test("Two strings have the same bytes exactly when their UTF-8 is equal, whatever their length and wherever they differ")
    func sameBytesComparesEveryByte() {
        #expect(!"\u{E9}".hasSameBytes(as: "e\u{301}"), "canonically equivalent, other bytes")
        #expect("".hasSameBytes(as: ""))
        var compared = 0
        for length in 1..<20 {
            let text = String(repeating: "å", count: length / 2) + String(repeating: "a", count: length - length / 2)
            #expect(text.hasSameBytes(as: String(text.unicodeScalars.map(Character.init))))
            #expect(!text.hasSameBytes(as: text + "a"))
            var bytes = Array(text.utf8)
            for position in bytes.indices where bytes[position] == UInt8(ascii: "a") {
                bytes[position] = UInt8(ascii: "b")
                #expect(!text.hasSameBytes(as: String(decoding: bytes, as: UTF8.self)), "length \(length), position \(position)")
                bytes[position] = UInt8(ascii: "a")
                compared += 1
            }
        }
        // One comparison for each "a" of every length: half of each text, rounded up.
        #expect(compared == (1..<20).reduce(0) { $0 + $1 - $1 / 2 })
    }
}
