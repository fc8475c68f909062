import Foundation
import Testing

struct SchemaCommandTests {
    static var configDirectory: String { TestExecutables.repositoryRoot.appendingPathComponent("Config").path }

    @Test("The README's schema reference equals what rehabsync schema --output markdown prints")
    func readmeEqualsCommandOutput() throws {
        let readme = try String(contentsOf: TestExecutables.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- schema:begin -->\n"))
        let end = try #require(readme.range(of: "<!-- schema:end -->"))
        let run = try TestExecutables.runRehabsync(["schema", "--output", "markdown", "--config-dir", Self.configDirectory])
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == String(readme[begin.upperBound..<end.lowerBound]))
    }

    @Test("An unknown or wrongly cased collection is a usage error that names the known ones")
    func unknownCollection() throws {
        let run = try TestExecutables.runRehabsync(["schema", "careplans"])
        #expect(run.status == 2)
        #expect(run.output.isEmpty)
        #expect(run.errors.contains("did you mean 'carePlans'?"))
        #expect(run.errors.contains("the collections are patients, carePlans, planGoals, plannedInterventions, assessments, handovers, referrals"))
    }

    @Test("One collection's text lists its fields, allowed values and the reference data it uses")
    func oneCollectionAsText() throws {
        let run = try TestExecutables.runRehabsync(["schema", "plannedInterventions", "--config-dir=\(Self.configDirectory)"])
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.contains("plannedInterventions: "))
        #expect(run.output.contains("one of: individual, group, digitalProgramme, asynchronousChat"))
        #expect(run.output.contains("KVÅ list 2026"))
        #expect(!run.output.contains("referrals: "))
    }

    @Test("The JSON form parses and a bad --output or a missing --config-dir is refused")
    func jsonAndRefusals() throws {
        let json = try TestExecutables.runRehabsync(["schema", "--output", "json", "--config-dir", Self.configDirectory])
        #expect(json.status == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect((parsed?["collections"] as? [Any])?.count == 7)
        #expect(try TestExecutables.runRehabsync(["schema", "--output", "yaml"]).status == 2)
        #expect(try TestExecutables.runRehabsync(["schema", "--config-dir", "/nonexistent/config"]).status == 1)
        let help = try TestExecutables.runRehabsync(["schema", "--help"])
        #expect(help.status == 0 && help.output.hasPrefix("Usage: rehabsync schema"))
    }
}
