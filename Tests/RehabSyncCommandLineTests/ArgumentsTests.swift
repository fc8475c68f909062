import RehabSyncCommandLine
import Testing

/// The parsing conventions every `rehabsync` command shares.
struct ArgumentsTests {
    static func parse(_ words: [String]) throws -> Arguments {
        try Arguments(words, valued: ["db", "unit", "json"], switches: ["help", "offline"], repeatable: ["unit"])
    }

    @Test func anOptionWithAnEqualsSignMeansTheSameAsItsValueAfterASpace() throws {
        let joined = try Self.parse(["--db=replica.sqlite", "--json={\"a\":\"b=c\"}"])
        let apart = try Self.parse(["--db", "replica.sqlite", "--json", "{\"a\":\"b=c\"}"])
        #expect(joined.value("db") == "replica.sqlite")
        #expect(joined.value("json") == "{\"a\":\"b=c\"}")
        #expect(joined.value("db") == apart.value("db") && joined.value("json") == apart.value("json"))
        #expect(try Self.parse(["--db="]).value("db") == "")
    }

    @Test func aSingleValuedOptionGivenTwiceIsAUsageError() throws {
        for words in [["--db", "a", "--db", "b"], ["--db=a", "--db", "a"], ["--offline", "--offline"]] {
            #expect(throws: Arguments.UsageError.self, "\(words)") { try Self.parse(words) }
        }
        let error = try #require(throws: Arguments.UsageError.self) { try Self.parse(["--db", "a", "--db=b"]) }
        #expect(error.description.contains("--db is given more than once"))
    }

    @Test func aRepeatableOptionKeepsEveryValueInOrder() throws {
        #expect(try Self.parse(["--unit", "A", "--unit=B", "--unit", "C"]).values("unit") == ["A", "B", "C"])
    }

    @Test func aSwitchTakesNoValueAndUnknownOrIncompleteOptionsAreRefused() throws {
        for words in [["--offline=yes"], ["--dbx", "a"], ["--db"], ["db"], ["--"], ["--nope=1"]] {
            #expect(throws: Arguments.UsageError.self, "\(words)") { try Self.parse(words) }
        }
        #expect(try Self.parse(["--offline", "--help"]).has("offline"))
    }
}
