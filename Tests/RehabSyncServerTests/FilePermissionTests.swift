import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

/// Patient data and secrets are readable by their owner only, whatever the umask.
struct FilePermissionTests {
    typealias F = ServerFixtures

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test func dataDirectoryDatabaseWALAndSHMAndReplicaFileAreOwnerOnlyUnderUmaskZeroAndALoosenedReplicaWarns() throws {
        let scratch = try ServerScratch()
        let data = scratch.path("data")
        let server = try ServerProcess.serve(dataDirectory: data, umask: "000")
        let base = "http://127.0.0.1:\(try server.port())"
        let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 10))
        let adminToken = try #require(try AdminTokenFile.read(at: data + "/admin-token"))
        let enrolled = try client.send("POST", base + "/v1/admin/devices", headers: ["Authorization": "Bearer \(adminToken)"],
                                       body: Array(#"{"name":"Laptop","units":["\#(F.unitA)"]}"#.utf8))
        let token = try #require(try JSONParser.parse(enrolled.body).objectValue?["token"]?.stringValue)
        let replica = try #require(ReplicaID(String(token.split(separator: ".")[1])))
        let pushed = try client.send("POST", base + "/v1/sync/push", headers: ["Authorization": "Bearer \(token)"],
                                     body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: replica))]))
        #expect(pushed.status == 200)

        #expect(try Self.mode(data) == 0o700)
        for path in OwnerOnlyFiles.databaseFiles(data + "/rehabsync.sqlite") + [data + "/admin-token"] {
            #expect(FileManager.default.fileExists(atPath: path), "\(path) missing")
            #expect(try Self.mode(path) == 0o600, "\(path)")
        }

        let replicaPath = scratch.path("clinic.db")
        let initialise = try ServerProcess(["replica", "init", "--db", replicaPath, "--server", base, "--token", token, "--clinician", "SE2321000016-N001"],
                                           environment: [:], umask: "000")
        #expect(initialise.waitForExit() == 0, "\(initialise.log)")
        #expect(try Self.mode(replicaPath) == 0o600)
        for path in OwnerOnlyFiles.databaseFiles(replicaPath) where FileManager.default.fileExists(atPath: path) {
            #expect(try Self.mode(path) == 0o600, "\(path)")
        }

        // A replica file loosened later is named in a warning whenever it is opened.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: replicaPath)
        let status = try ServerProcess(["replica", "status", "--db", replicaPath,
                                        "--config-dir", ServerProcess.root.appendingPathComponent("Config").path], environment: [:])
        #expect(status.waitForExit() == 0, "\(status.log)")
        #expect(status.log.contains("warning: patient data is readable by other users: \(replicaPath) has mode 644"), "\(status.log)")
    }

    @Test func startUpWarnsAboutAnExistingDirectoryAndDatabaseThatOthersMayRead() throws {
        let scratch = try ServerScratch()
        let data = scratch.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        _ = try RecordStore(path: data + "/rehabsync.sqlite")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: data + "/rehabsync.sqlite")
        let lines = Mutex<[String]>([])
        var settings = try ServerSettings.load(path: ServerProcess.root.appendingPathComponent("Config/rehabsync.json").path,
                                               environment: [:])
        settings.dataDirectory = data
        settings.port = 0
        let application = try ServerApplication(settings: settings, logger: Logger(
            label: "test", minimumLevel: .warning, sink: Logger.Sink { line in lines.withLock { $0.append(line) } }))
        application.finish()
        let warnings = lines.withLock { $0 }.filter { $0.contains("readable by other users") }
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.contains { $0.contains("\(data)/rehabsync.sqlite") && $0.contains("644") })
        #expect(warnings.contains { !$0.contains("rehabsync.sqlite") && $0.contains(data) && $0.contains("755") })
    }
}
