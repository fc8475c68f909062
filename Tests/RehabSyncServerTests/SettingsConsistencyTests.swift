import Foundation
import RehabSyncServer
import Testing

struct SettingsConsistencyTests {
    func refusal(_ environment: [String: String]) -> String? {
        do {
            _ = try ServerSettings.load(path: nil, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aMisspeltEnvironmentVariableIsAStartUpErrorNamingIt() throws {
        let message = try #require(refusal(["REHABSYNC_WORKER": "4"]))
        #expect(message.contains("REHABSYNC_WORKER "), "\(message)")
        #expect(refusal(["REHABSYNC_WORKERS": "4"]) == nil)
    }

    @Test func variablesOtherPartsOfTheProgramReadAreAccepted() {
        let others = Dictionary(uniqueKeysWithValues: ServerSettings.otherVariables.map { ($0, "x") })
            .filter { $0.key != "REHABSYNC_CONFIG" }
        #expect(refusal(others) == nil)
        #expect(refusal(["PATH": "/bin", "REHABSYNCX": "1"]) == nil)
    }

    @Test func everyRehabsyncVariableTheRepositoryMentionsIsASettingOrInTheList() throws {
        let root = TestExecutables.repositoryRoot
        var names = Set<String>()
        for folder in ["Sources", "Tests", ".ci"] {
            let enumerator = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path)
            while let relative = enumerator?.nextObject() as? String {
                let path = root.appendingPathComponent(folder).appendingPathComponent(relative).path
                // This file names a misspelt variable on purpose.
                guard path != #filePath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                for match in text.matches(of: /REHABSYNC_[A-Z0-9_]*[A-Z0-9]/) { names.insert(String(match.output)) }
            }
        }
        // C header guards of the system-library shims are not variables.
        let variables = names.filter { !$0.hasSuffix("_SHIM_H") }
        #expect(variables.count >= 20, "\(variables.sorted())")
        for name in variables.sorted() where name != "REHABSYNC_CONFIG" {
            #expect(refusal([name: "1"]).map { !$0.contains(name + " is neither") } ?? true, "\(name) would stop the server from starting")
        }
    }

    @Test func contradictorySettingsAreRefusedWithBothNamed() throws {
        let pages = try #require(refusal(["REHABSYNC_DEFAULT_PAGE_SIZE": "600", "REHABSYNC_MAX_PAGE_SIZE": "500"]))
        #expect(pages.contains("defaultPageSize") && pages.contains("maxPageSize"), "\(pages)")
        let workers = try #require(refusal(["REHABSYNC_WORKERS": "2", "REHABSYNC_WORKERS_RESERVED_FOR_READS": "2"]))
        #expect(workers.contains("workersReservedForReads") && workers.contains("workers ("), "\(workers)")
        let metrics = try #require(refusal(["REHABSYNC_LISTEN": "127.0.0.1:9000", "REHABSYNC_METRICS_LISTEN": "127.0.0.1:9000"]))
        #expect(metrics.contains("metricsListen"), "\(metrics)")
    }

    @Test func consistentSettingsAndTheDefaultReservationOnASmallPoolStillLoad() {
        #expect(refusal(["REHABSYNC_DEFAULT_PAGE_SIZE": "500", "REHABSYNC_MAX_PAGE_SIZE": "500"]) == nil)
        #expect(refusal(["REHABSYNC_WORKERS": "1"]) == nil)
        #expect(refusal(["REHABSYNC_WORKERS": "3", "REHABSYNC_WORKERS_RESERVED_FOR_READS": "2"]) == nil)
        #expect(refusal(["REHABSYNC_LISTEN": "127.0.0.1:0", "REHABSYNC_METRICS_LISTEN": "127.0.0.1:0"]) == nil)
    }
}
