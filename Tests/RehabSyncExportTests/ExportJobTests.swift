import Foundation
import RehabSyncExport
import Testing

struct ExportJobTests {
    static let repository = TestExecutables.repositoryRoot

    @Test func theShippedJobAndTargetValidate() throws {
        let targets = try RegisterTarget.load(path: Self.repository.appendingPathComponent("Config/register.json").path, environment: [:])
        let catalog = try ExportJobCatalog.load(directory: Self.repository.appendingPathComponent("Jobs").path, targets: Set(targets.keys))
        let job = try catalog.job(named: "monthly-register-export")
        #expect(job.schedule == ExportJob.Schedule(dayOfMonth: 20, hour: 2, minute: 0))
        #expect(job.suppressionThreshold == 5)
        #expect(job.correctionMonths == 12)
        #expect(job.measures == ExportMeasure.allCases)
        #expect(targets["national-register"] != nil)
    }

    @Test func theRegisterURLComesFromTheEnvironmentWhenSet() throws {
        let path = Self.repository.appendingPathComponent("Config/register.json").path
        let targets = try RegisterTarget.load(path: path, environment: ["REHABSYNC_REGISTER_URL": "http://127.0.0.1:9/fhir/Bundle"])
        #expect(targets["national-register"]?.url == "http://127.0.0.1:9/fhir/Bundle")
    }

    @Test(arguments: [
        (#"{"name":"x","schedule":{"dayOfMonth":31}}"#, "schedule.dayOfMonth"),
        (#"{"name":"x","measures":["needs-assessment","nonsense"]}"#, "measures[1]"),
        (#"{"name":"x","schedule":{"time":"2:00"}}"#, "schedule.time"),
        (#"{"name":"x","suppressionThreshold":1}"#, "suppressionThreshold"),
        (#"{"name":"x","period":"nextWeek"}"#, "period"),
        (#"{"name":"x","colour":"blue"}"#, "colour"),
        (#"{"name":"Upper Case"}"#, "name"),
        (#"{"enabled":true}"#, "name"),
    ])
    func aBadJobIsRefusedNamingTheFileAndTheField(json: String, field: String) {
        #expect {
            _ = try ExportJob(json: Array(json.utf8), file: "Jobs/bad.json")
        } throws: { error in
            let error = error as? ExportError
            return error?.field == field && error?.file == "Jobs/bad.json" && error?.description.hasPrefix("Jobs/bad.json: \(field)") == true
        }
    }

    @Test func aJobNamingAnUnknownTargetIsRefusedAtLoad() throws {
        let scratch = try ExportScratch()
        try Data(#"{"name":"j","target":"elsewhere"}"#.utf8).write(to: scratch.url.appendingPathComponent("j.json"))
        #expect(throws: ExportError.self) { try ExportJobCatalog.load(directory: scratch.url.path, targets: ["national-register"]) }
    }
}
