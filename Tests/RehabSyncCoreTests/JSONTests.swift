import RehabSyncCore
import Testing

struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5, true, false, null, "x\u00e5\n"]} "#)
        #expect(value == .object(["a": .array([.integer(1), .double(-2.5), .bool(true), .bool(false), .null, .string("xå\n")])]))
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#,  // duplicate key
        #"[1,]"#,  // trailing comma
        #"01"#,  // leading zero
        #"1."#,  // missing fraction
        #""\ud800""#,  // lone surrogate
        #""\x""#,  // bad escape
        "\"a\u{01}b\"",  // raw control character
        #"{"a" 1}"#,
        #"[1] 2"#,  // trailing data
        #"1e999"#,  // overflowing number
        #"tru"#,
        "",
    ])
    func refusesMalformedDocuments(text: String) {
        #expect(throws: CoreError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: CoreError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func refusesDocumentsNestedTooDeep() {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1)
            + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect { try JSONParser.parse(deep) } throws: { error in
            (error as? CoreError)?.code == .tooDeep
        }
        let fine = String(repeating: "[", count: JSONParser.maximumDepth)
            + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test func keepsIntegersAndFractionsApart() throws {
        #expect(try JSONParser.parse("1") == .integer(1))
        #expect(try JSONParser.parse("1.0") == .double(1))
        #expect(try JSONParser.parse("99999999999999999999") == .double(1e20))
    }
}

struct CanonicalJSONTests {
    @Test func sortsMembersByBytesAndDropsWhitespace() throws {
        let value = try JSONParser.parse(#"{ "b" : 1, "a" : { "ä": 2, "z": 3 }, "B": [ 1 , 2 ] }"#)
        #expect(value.canonicalText == #"{"B":[1,2],"a":{"z":3,"ä":2},"b":1}"#)
    }

    @Test func escapesOnlyWhatJSONRequires() {
        let value = JSONValue.string("å \"q\" \\ / \n \u{01}")
        #expect(value.canonicalText == #""å \"q\" \\ / \n \u0001""#)
    }

    @Test func writesNumbersInShortestRoundTripForm() {
        #expect(JSONValue.integer(-42).canonicalText == "-42")
        #expect(JSONValue.integer(Int64.min).canonicalText == "-9223372036854775808")
        #expect(JSONValue.double(0.1).canonicalText == "0.1")
        #expect(JSONValue.double(1e20).canonicalText == "1e+20")
    }

    @Test(arguments: [Int64(0), 7, 9, 10, 42, 99, 100, 101, 999, 1_000, 1_700_000_000_123, Dot.maximumCounter,
                      Int64.max, -1, -10, -100, Int64.min + 1])
    func writesEveryIntegerAsSwiftPrintsIt(value: Int64) {
        #expect(JSONValue.integer(value).canonicalText == String(value))
    }

    @Test func reparsingCanonicalTextGivesTheSameValueAndBytes() throws {
        for seed in propertySeeds(default: [21, 22, 23]) {
            var generator = SplitMix64(seed: seed)
            for _ in 0..<300 {
                let value = Generators.jsonValue(using: &generator, depth: 3)
                let bytes = value.canonicalBytes
                let reparsed = try JSONParser.parse(bytes)
                #expect(reparsed == value, "seed \(seed)")
                #expect(reparsed.canonicalBytes == bytes, "seed \(seed)")
            }
        }
    }
}

struct JSONReaderTests {
    @Test func findsADuplicateKeyInALargeObject() {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# } + [#""k3":0"#]
        #expect { try JSONParser.parse("{" + members.joined(separator: ",") + "}") } throws: { error in
            (error as? CoreError)?.field == "k3"
        }
    }

    @Test func readsObjectsAndArraysInOnePass() throws {
        var reader = JSONParser(Array(#" {"a": [1, 2, {"b": "c"}], "d": null} "#.utf8))
        var seen: [String] = []
        try reader.readObject(path: "") { reader, key throws(CoreError) in
            seen.append(key)
            if key == "a" {
                try reader.readArray(path: "a") { reader, offset throws(CoreError) in
                    seen.append("a[\(offset)]=\(try reader.readValue().canonicalText)")
                }
            } else {
                _ = try reader.readValue()
            }
        }
        try reader.finish()
        #expect(seen == ["a", "a[0]=1", "a[1]=2", #"a[2]={"b":"c"}"#, "d"])
    }

    @Test(arguments: [
        (#"{"b":1,"a":2,"b":3}"#, "b"),
        (#"{"d":1,"c":2,"b":3,"a":4,"e":5,"c":6}"#, "c"),
        (#"{"a":1,"a":2}"#, "a"),
        (#"{"é":1,"e\u0301":2}"#, "e\u{301}"),
    ])
    func findsADuplicateKeyWhateverTheOrderOfTheNames(text: String, duplicate: String) {
        #expect { try JSONParser.parse(text) } throws: { error in
            (error as? CoreError)?.code == .malformedJSON && (error as? CoreError)?.field == duplicate
        }
    }

    static let names = JSONMemberNames(["author", "dot", "value"])

    @Test func matchesKnownMemberNamesAsWrittenOrEscaped() throws {
        var reader = JSONParser(Array(#"{"value":1,"\u0061uthor":"x"}"#.utf8))
        var met: [Int] = []
        let mask = try reader.readObject(path: "s", names: Self.names) { reader, offset throws(CoreError) in
            met.append(offset)
            _ = try reader.readValue()
        }
        #expect(met == [2, 0])
        #expect(mask == 0b101)
        #expect(Self.names.firstMissing(from: mask) == "dot")
        #expect(Self.names.firstMissing(from: 0b111) == nil)
    }

    @Test(arguments: [
        (#"{"author":1,"author":2}"#, CoreError.Code.malformedJSON, "s.author"),
        (#"{"author":1,"wall":2}"#, CoreError.Code.unexpectedKey, "s.wall"),
        (#"[1]"#, CoreError.Code.wrongType, "s"),
    ])
    func refusesUnknownAndRepeatedKnownMembers(text: String, code: CoreError.Code, field: String) {
        var reader = JSONParser(Array(text.utf8))
        #expect {
            try reader.readObject(path: "s", names: Self.names) { reader, _ throws(CoreError) in _ = try reader.readValue() }
        } throws: { error in
            (error as? CoreError)?.code == code && (error as? CoreError)?.field == field
        }
    }

    @Test func skipsUnknownMembersOnlyWhenAsked() throws {
        var reader = JSONParser(Array(#"{"dot":[1,{"x":2}],"extra":{"y":[3]},"value":4}"#.utf8))
        var values: [String] = []
        let mask = try reader.readObject(path: "", names: Self.names, skippingUnknown: true) { reader, _ throws(CoreError) in
            values.append(try reader.readValue().canonicalText)
        }
        try reader.finish()
        #expect(values == [#"[1,{"x":2}]"#, "4"])
        #expect(mask == 0b110)
        var twice = JSONParser(Array(#"{"extra":1,"extra":2}"#.utf8))
        #expect(throws: CoreError.self) {
            try twice.readObject(path: "", names: Self.names, skippingUnknown: true) { reader, _ throws(CoreError) in
                _ = try reader.readValue()
            }
        }
    }

    @Test func readsStringsAsBytesAndRefusesOtherTypes() throws {
        var reader = JSONParser(Array(#"["abc", "\u0041\n", 7]"#.utf8))
        var results: [String?] = []
        try reader.readArray(path: "") { reader, offset throws(CoreError) in
            if offset < 2 {
                results.append(try reader.readString(orElse: CoreError(.wrongType, "x")) { String(decoding: $0, as: UTF8.self) })
            } else {
                #expect(throws: CoreError(.wrongType, "a string")) { try reader.readString(orElse: CoreError(.wrongType, "a string")) }
            }
        }
        #expect(results == ["abc", "A\n"])
    }

    @Test func namesThePathWhenTheShapeIsWrong() {
        var reader = JSONParser(Array("[1]".utf8))
        #expect { try reader.readObject(path: "records[2]") { _, _ throws(CoreError) in } } throws: { error in
            (error as? CoreError)?.code == .wrongType && (error as? CoreError)?.field == "records[2]"
        }
    }
}
