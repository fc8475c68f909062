import Foundation
import RehabSyncTestSupport
import Testing

/// The conventions, through the built `rehabsync` as a user types it.
struct ConventionTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        try TestExecutables.runRehabsync(arguments,
                                         environment: ["REHABSYNC_CONFIG_DIR": TestExecutables.repositoryRoot.appendingPathComponent("Config").path])
    }

    @Test func aBareRehabsyncPrintsTheUsageAndExitsTwo() throws {
        let bare = try Self.run([])
        #expect(bare.status == 2)
        #expect(bare.errors.contains("Usage:\n  rehabsync <command> [options]"))
        #expect(bare.output.isEmpty)
        #expect(try Self.run(["help"]).status == 0)
    }

    @Test func helpForASubcommandPrintsThatSubcommandsHelpNotTheGroups() throws {
        for words in [["replica", "write", "--help"], ["help", "replica", "write"]] {
            let result = try Self.run(words)
            #expect(result.status == 0, "\(words): \(result.errors)")
            #expect(result.output.hasPrefix("Usage: rehabsync replica write --db FILE --collection C"), "\(words)")
            #expect(!result.output.contains("rehabsync replica resolve"), "\(words)")
        }
        let verify = try Self.run(["help", "admin", "audit", "verify"])
        #expect(verify.status == 0)
        #expect(verify.output.hasPrefix("Usage: rehabsync admin audit verify [--head H]"))
        let run = try Self.run(["export", "run", "--help"])
        #expect(run.output.hasPrefix("Usage: rehabsync export run --job J --period YYYY-MM"))
        #expect(!run.output.contains("Upcoming runs"))
        let group = try Self.run(["help", "replica"])
        #expect(group.output.contains("rehabsync replica resolve") == false && group.output.contains("  resolve --db FILE"))
        #expect(try Self.run(["help", "serve"]).output.hasPrefix("Usage: rehabsync serve"))
    }

    @Test func anEqualsOptionIsAcceptedAndARepeatedOneIsAUsageError() throws {
        let scratch = try TemporaryDirectory(prefix: "rehabsync-conventions")
        let path = scratch.path("nothing.sqlite")
        // --db=FILE is parsed: the refusal is about the (missing) file, not the option.
        let joined = try Self.run(["replica", "status", "--db=\(path)"])
        #expect(joined.status == 1)
        #expect(joined.errors.contains("no replica at \(path)"))
        let twice = try Self.run(["replica", "status", "--db", path, "--db=\(path).other"])
        #expect(twice.status == 2)
        #expect(twice.errors.contains("--db is given more than once"))
        let unknown = try Self.run(["replica", "statuss", "--db", path])
        #expect(unknown.status == 2)
        #expect(unknown.errors.contains("unknown replica command 'statuss'"))
    }

    @Test func anUnknownCollectionIsAUsageErrorNamingTheKnownOnes() throws {
        for command in [["list"], ["get", "--id", "x"], ["write", "--json", "{}"]] {
            let result = try Self.run(["replica"] + command + ["--db", "/nonexistent/replica.sqlite", "--collection", "careplans"])
            #expect(result.status == 2, "\(command): \(result.errors)")
            #expect(result.errors.contains("unknown collection 'careplans' (did you mean 'carePlans'?)"), "\(command)")
            #expect(result.errors.contains("patients, carePlans, planGoals"), "\(command)")
        }
    }

    @Test("The README's command reference is what 'rehabsync help --reference' prints, byte for byte")
    func theReadmesCommandReferenceIsGenerated() throws {
        let generated = try Self.run(["help", "--reference"])
        #expect(generated.status == 0, "\(generated.errors)")
        let readmeURL = TestExecutables.repositoryRoot.appendingPathComponent("README.md")
        let readme = try String(contentsOf: readmeURL, encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- commands:begin -->\n"))
        let end = try #require(readme.range(of: "<!-- commands:end -->", range: begin.upperBound..<readme.endIndex))
        let section = String(readme[begin.upperBound..<end.lowerBound])
        if section != generated.output {
            // Leave the README as it should be beside the test's output, so the fix is a copy.
            let fixed = FileManager.default.temporaryDirectory.appendingPathComponent("README.generated.md")
            try (String(readme[..<begin.upperBound]) + generated.output + String(readme[end.lowerBound...]))
                .write(to: fixed, atomically: true, encoding: .utf8)
            Issue.record("README.md's command reference differs from 'rehabsync help --reference'; the regenerated README is at \(fixed.path)")
        }
    }
}
