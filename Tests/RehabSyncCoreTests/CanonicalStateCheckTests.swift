import RehabSyncCore
import Testing

/// The one-pass check of canonical state bytes (``JSONParser/readCanonicalState(keeping:)``)
/// against the full decoder, on states from random simulations and on damaged copies of
/// their bytes.
struct CanonicalStateCheckTests {
    static let seeds: [UInt64] = Array(1...30)
    static let keeping: Set<String> = ["careUnits", "status"]

    /// What the generated cases covered, so that the test can require each kind.
    struct Counts: CustomStringConvertible {
        var accepted = 0
        var acceptedInConflict = 0
        var acceptedWithKeptFields = 0
        /// Canonical bytes left to the decoder (a fraction, an escape): not an error.
        var canonicalLeftToDecoder = 0
        var damagedRejected = 0
        var damagedStillCanonical = 0

        var description: String {
            "\(accepted) accepted (\(acceptedInConflict) in conflict, \(acceptedWithKeptFields) with kept fields), "
                + "\(canonicalLeftToDecoder) canonical left to the decoder, \(damagedRejected) damaged copies refused, "
                + "\(damagedStillCanonical) damaged copies that were still canonical"
        }
    }

    /// Checks one byte string: if the one-pass check accepts it, the decoder must read the
    /// same state and encode it to the very same bytes. Returns whether it was accepted.
    static func compare(_ given: [UInt8], seed: UInt64, counts: inout Counts) -> Bool {
        var reader = JSONParser(given)
        // White space before a value is allowed anywhere in a document; the state begins after it.
        let bytes = Array(given.drop { $0 == UInt8(ascii: " ") })
        let fast = reader.readCanonicalState(keeping: keeping)
        // A server stores what the decoder reads kept as it arrived: only bytes the check
        // accepts are kept, and they are the decoded state's own encoding.
        var keepingReader = JSONParser(given)
        var decoder = JSONParser(given)
        let decoded = try? RecordState(reading: &decoder, path: "")
        if let (state, kept) = try? keepingReader.readState(keepingCanonicalBytes: "") {
            #expect((kept != nil) == (fast != nil), "seed \(seed)")
            #expect(state == decoded, "seed \(seed)")
            // Taken without validating again: the check must have held it to every invariant.
            #expect((try? state.validate()) != nil, "seed \(seed)")
            // Both stop at the same byte: what follows the state reads the same.
            #expect(((try? keepingReader.finish()) != nil) == ((try? decoder.finish()) != nil), "seed \(seed)")
            if let kept { #expect(kept == state.canonicalBytes, "seed \(seed)") }
        } else {
            #expect(fast == nil && decoded == nil, "seed \(seed)")
        }
        guard let fast else { return false }
        let whole = (try? reader.finish()) != nil
        // The general reader, not RecordState(decoding:), which itself tries this check first.
        var general = JSONParser(given)
        guard let full = try? RecordState(reading: &general, path: ""), (try? general.finish()) != nil else {
            Issue.record("seed \(seed): accepted bytes the decoder refuses: \(String(decoding: bytes, as: UTF8.self))")
            return true
        }
        #expect(whole, "seed \(seed): the check stopped inside the state")
        #expect(full.canonicalBytes == bytes, "seed \(seed): accepted bytes that are not canonical: \(String(decoding: bytes, as: UTF8.self))")
        #expect(fast.bytes == bytes, "seed \(seed)")
        #expect(fast.context == full.context, "seed \(seed)")
        #expect(fast.isInConflict == full.isInConflict, "seed \(seed)")
        let newest = full.fields.flatMap(\.siblings).map(\.hlc).max() ?? .zero
        #expect(fast.newestClock == newest, "seed \(seed)")
        #expect(fast.partial.fields == full.fields.filter { keeping.contains($0.name) }, "seed \(seed)")
        #expect(fast.partial.context == full.context, "seed \(seed)")
        #expect((try? fast.decoded()) == full, "seed \(seed)")
        counts.accepted += 1
        if full.isInConflict { counts.acceptedInConflict += 1 }
        if !fast.partial.fields.isEmpty { counts.acceptedWithKeptFields += 1 }
        return true
    }

    @Test("Canonical bytes checked in one pass give exactly what the full decoder reads, and damaged bytes are left to it")
    func oneCheckAgreesWithTheFullDecoder() throws {
        var counts = Counts()
        for seed in propertySeeds(default: Self.seeds) {
            print("CanonicalStateCheckTests seed \(seed)")
            var simulation = Simulation(seed: seed, replicaCount: 4)
            var generator = SplitMix64(seed: seed ^ 0x5EED)
            for _ in 0..<120 {
                try simulation.randomStep()
                let replica = simulation.replicas[Generators.int(0..<4, using: &generator)]
                guard let state = replica.records[simulation.recordIDs[Generators.int(0..<2, using: &generator)]] else { continue }
                let bytes = state.canonicalBytes
                if !Self.compare(bytes, seed: seed, counts: &counts) { counts.canonicalLeftToDecoder += 1 }
                // A damaged copy: a byte changed, a space inserted, or a byte dropped.
                var damaged = bytes
                let position = Generators.int(0..<damaged.count, using: &generator)
                switch Generators.int(0..<3, using: &generator) {
                case 0: damaged[position] = UInt8(truncatingIfNeeded: Generators.int(0..<256, using: &generator))
                case 1: damaged.insert(UInt8(ascii: " "), at: position)
                default: damaged.remove(at: position)
                }
                if Self.compare(damaged, seed: seed, counts: &counts) {
                    counts.damagedStillCanonical += 1
                } else {
                    counts.damagedRejected += 1
                }
            }
        }
        print("CanonicalStateCheckTests: \(counts)")
        guard ProcessInfoShim.environment("REHABSYNC_SEED") == nil else { return }
        #expect(counts.accepted >= 500, "\(counts)")
        #expect(counts.acceptedInConflict >= 100, "\(counts)")
        #expect(counts.acceptedWithKeptFields >= 300, "\(counts)")
        #expect(counts.canonicalLeftToDecoder >= 100, "\(counts)")
        #expect(counts.damagedRejected >= 1_000, "\(counts)")
    }

    @Test("Forms the writer never produces are left to the full decoder", arguments: [
        #"{"context":{},"fields":{} }"#,
        #"{ "context":{},"fields":{}}"#,
        #"{"fields":{},"context":{}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":01},"fields":{}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":0},"fields":{}}"#,
        #"{"context":{"00000000-0000-4000-8000-00000000000A":1},"fields":{}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000002":1,"00000000-0000-4000-8000-000000000001":1},"fields":{}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",2],"hlc":[1,0],"value":1,"wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":-0,"wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":1.5,"wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":"\u0041","wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":{"b":1,"a":2},"wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":1,"wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"1a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":1,"wall":1}]}}"#,
        #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[]}}"#,
    ])
    func formsTheWriterNeverProducesAreLeftToTheDecoder(text: String) {
        var reader = JSONParser(Array(text.utf8))
        #expect(reader.readCanonicalState(keeping: []) == nil)
    }

    @Test("An object value whose keys differ in bytes but are one string (a combining accent and a precomposed letter) is refused, never stored with one member dropped")
    func keysThatAreOneStringAreRefused() {
        let prefix = #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":{""#
        // "e" + U+0301 (65 CC 81) sorts before "é" (C3 A9) by bytes: strictly ascending,
        // valid UTF-8, canonical in every other respect; Swift compares them equal.
        let text = prefix + "e\u{0301}" + #"":1,""# + "\u{00E9}" + #"":2},"wall":1}]}}"#
        let bytes = Array(text.utf8)
        var checker = JSONParser(bytes)
        #expect(checker.readCanonicalState(keeping: ["a"]) == nil)
        var pushed = JSONParser(bytes)
        #expect(throws: CoreError.self) { try pushed.readState(keepingCanonicalBytes: "") }
        var decoder = JSONParser(bytes)
        #expect(throws: CoreError.self) { try RecordState(reading: &decoder, path: "") }
        // The same when the field is only checked, not decoded (a pull page's other fields).
        var checkedOnly = JSONParser(bytes)
        #expect(checkedOnly.readCanonicalState(keeping: []) == nil)
        // "K" and the Kelvin sign (U+212A), the second not ASCII, are one string too.
        let kelvin = Array((prefix + #"K":1,""# + "\u{212A}" + #"":2},"wall":1}]}}"#).utf8)
        var kelvinChecked = JSONParser(kelvin)
        #expect(kelvinChecked.readCanonicalState(keeping: []) == nil)
        var kelvinPushed = JSONParser(kelvin)
        #expect(throws: CoreError.self) { try kelvinPushed.readState(keepingCanonicalBytes: "") }
        // Keys that are distinct strings, ASCII or not, are still checked in one pass and kept.
        for members in [#"a":1,"b":2"#, #"n":2,"niv"# + "\u{00E5}" + #"":1"#] {
            let distinct = Array((prefix + members + #"},"wall":1}]}}"#).utf8)
            var built = JSONParser(distinct)
            #expect(built.readCanonicalState(keeping: ["a"]) != nil)
            var checked = JSONParser(distinct)
            #expect(checked.readCanonicalState(keeping: []) != nil)
            var kept = JSONParser(distinct)
            #expect((try? kept.readState(keepingCanonicalBytes: ""))?.canonicalBytes == distinct)
        }
    }

    @Test("Invalid UTF-8 inside a value is refused by the one-pass check as by Swift's own validation")
    func invalidUTF8IsRefused() {
        let prefix = #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":""#
        let suffix = #"","wall":1}]}}"#
        let cases: [[UInt8]] = [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC3, 0xA5], [0xF0, 0x9F, 0x98, 0x80]]
        for content in cases {
            var reader = JSONParser(Array(prefix.utf8) + content + Array(suffix.utf8))
            let accepted = reader.readCanonicalState(keeping: []) != nil
            #expect(accepted == (String(validating: content, as: UTF8.self) != nil), "\(content)")
        }
    }

    @Test("A byte that ends, escapes or spoils a string is found wherever it falls in the eight-byte words the check reads")
    func stringBytesAreCheckedAtEveryOffset() {
        let prefix = #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":[1,0],"value":""#
        let suffix = #"","wall":1}]}}"#
        // A backslash, a control character, a lone continuation byte and a lead byte with
        // nothing after it: each spoils the string; "å" is well formed.
        let inserts: [([UInt8], Bool)] = [([0x5C], false), ([0x09], false), ([0x80], false), ([0xC3], false), ([0xC3, 0xA5], true)]
        var checked = 0
        for length in 0..<20 {
            for offset in 0...length {
                for (insert, valid) in inserts {
                    var content = Array(repeating: UInt8(ascii: "a"), count: length)
                    content.insert(contentsOf: insert, at: offset)
                    var reader = JSONParser(Array(prefix.utf8) + content + Array(suffix.utf8))
                    let accepted = reader.readCanonicalState(keeping: ["a"])
                    #expect((accepted != nil) == valid, "length \(length), offset \(offset), \(insert)")
                    if let accepted {
                        #expect(accepted.partial["a"]?.siblings.first?.value == .string(String(decoding: content, as: UTF8.self)))
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 1_050)
    }

    @Test("A clock reading of any length, with any of its bytes replaced, is accepted or left to the decoder exactly as the decoder reads it")
    func clockReadingsOfEveryLengthAreReadAsDecoded() throws {
        let prefix = #"{"context":{"00000000-0000-4000-8000-000000000001":1},"fields":{"a":[{"author":"x","dot":["00000000-0000-4000-8000-000000000001",1],"hlc":["#
        let suffix = #",0],"value":1,"wall":1}]}}"#
        // Digits that count down, so that a slip in their order changes the value; then
        // each replaced by a byte just outside the digits or a leading zero (the check reads
        // them a word at a time, so every place in both words counts).
        var (accepted, refused) = (0, 0)
        for length in 1...17 {
            let digits = (0..<length).map { UInt8(ascii: "9") - UInt8($0 % 9) }
            var spoilt: [[UInt8]] = [digits]
            for offset in 0..<length {
                // Just outside the digits on either side, a byte whose high half is 3 but is
                // no digit, bytes that would carry into the next when 6 is added, a digit
                // with the high bit set, and zero.
                for stray in [UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "?"), 0xF9, 0xFA, 0xFF, 0xB5, UInt8(ascii: "0")] {
                    var copy = digits
                    copy[offset] = stray
                    spoilt.append(copy)
                }
            }
            for reading in spoilt {
                let bytes = Array(prefix.utf8) + reading + Array(suffix.utf8)
                var reader = JSONParser(bytes)
                let fast = reader.readCanonicalState(keeping: ["a"])
                let decoded = try? RecordState(decoding: bytes)
                let text = String(decoding: reading, as: UTF8.self)
                // Counting down from 9, sixteen digits already exceed Dot.maximumCounter.
                if reading == digits { #expect((fast != nil) == (length <= 15), "\(text)") }
                if reading.contains(where: { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) { #expect(fast == nil, "\(text)") }
                if let fast {
                    let state = try #require(decoded, "\(String(decoding: reading, as: UTF8.self))")
                    #expect(fast.newestClock == state.fields.first?.siblings.first?.hlc, "\(String(decoding: reading, as: UTF8.self))")
                    #expect(fast.bytes == state.canonicalBytes)
                    accepted += 1
                } else {
                    // Refused: either the decoder refuses too, or reads a form the writer
                    // would not write (a leading zero), which it alone may take.
                    #expect(decoded == nil || decoded?.canonicalBytes != bytes, "\(String(decoding: reading, as: UTF8.self))")
                    refused += 1
                }
            }
        }
        print("CanonicalStateCheckTests: \(accepted) clock readings accepted, \(refused) left to the decoder")
    }
}
