import Foundation
import RehabSyncReplica
import Testing

/// `rehabsync replica init` takes the device token from a file, standard input or the
/// environment, so it stays out of `ps` and shell history.
struct DeviceTokenSourceTests {
    typealias E2E = ReplicaEndToEndTests

    struct Outcome {
        let status: Int32
        let standardError: String
    }

    /// Runs `rehabsync replica init` for a newly enrolled device and returns what happened.
    static func initialise(_ world: E2E.World, path: String, extra: (String) -> [String], environment: (String) -> [String: String] = { _ in [:] },
                           standardInput: (String) -> String = { _ in "" }) throws -> (Outcome, token: String) {
        let (_, token) = try world.server.service.enrol(name: "token test", units: [E2E.unit])
        let process = Process()
        process.executableURL = try TestExecutables.rehabsync()
        process.arguments = ["replica", "init", "--db", path, "--server", "http://127.0.0.1:\(world.port)", "--clinician", "SE2321000016-N001"]
            + extra(token)
        process.environment = environment(token)
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(standardInput(token).utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (Outcome(status: process.terminationStatus, standardError: text), token)
    }

    @Test func aTokenFromAFileStandardInputOrTheEnvironmentIsStoredWithoutAWarning() throws {
        let world = try E2E.World(replicaCount: 0)
        let tokenFile = world.directory.appendingPathComponent("token").path
        let cases: [(String, (String) -> [String], (String) -> [String: String], (String) -> String)] = [
            ("file", { token in
                _ = FileManager.default.createFile(atPath: tokenFile, contents: Data("\(token)\n".utf8), attributes: [.posixPermissions: 0o600])
                return ["--token-file", tokenFile]
            }, { _ in [:] }, { _ in "" }),
            ("file -", { _ in ["--token-file", "-"] }, { _ in [:] }, { "\($0)\n" }),
            ("stdin", { _ in ["--token-stdin"] }, { _ in [:] }, { $0 }),
            ("environment", { _ in [] }, { ["REHABSYNC_DEVICE_TOKEN": $0] }, { _ in "" }),
        ]
        for (name, extra, environment, input) in cases {
            let path = world.directory.appendingPathComponent("replica-\(name).sqlite").path
            let (outcome, token) = try Self.initialise(world, path: path, extra: extra, environment: environment, standardInput: input)
            #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
            #expect(!outcome.standardError.contains("warning"), "\(name)")
            #expect(try Replica(path: path, reference: world.reference).settings().token == token, "\(name)")
        }
    }

    @Test func aTokenOnTheCommandLineStillWorksWithAWarningOnStandardError() throws {
        let world = try E2E.World(replicaCount: 0)
        let path = world.directory.appendingPathComponent("replica.sqlite").path
        let (outcome, token) = try Self.initialise(world, path: path, extra: { ["--token", $0] })
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("warning: --token leaves the device token in ps"))
        #expect(try Replica(path: path, reference: world.reference).settings().token == token)
    }

    @Test func twoSourcesAtOnceOrNoneAreUsageErrorsAndCreateNothing() throws {
        let world = try E2E.World(replicaCount: 0)
        let path = world.directory.appendingPathComponent("replica.sqlite").path
        let (both, _) = try Self.initialise(world, path: path, extra: { ["--token", $0, "--token-stdin"] }, standardInput: { $0 })
        #expect(both.status == 2)
        #expect(both.standardError.contains("one way only"))
        let (none, _) = try Self.initialise(world, path: path, extra: { _ in [] })
        #expect(none.status == 2)
        #expect(none.standardError.contains("REHABSYNC_DEVICE_TOKEN"))
        let (empty, _) = try Self.initialise(world, path: path, extra: { _ in ["--token-stdin"] })
        #expect(empty.status == 1)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
