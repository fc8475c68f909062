import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReferenceFiles
import RehabSyncReplica
import RehabSyncServer
import RehabSyncStorage
import Testing

/// Every command that opens a database file, given the wrong file by mistake, refuses it
/// and leaves it byte for byte as it was, with no `-wal` or `-shm` appearing or vanishing.
struct FileSafetyTests {
    /// A file's bytes and which of its SQLite companions exist; nil bytes for no file.
    struct Snapshot: Equatable {
        let bytes: Data?
        let companions: [Bool]

        init(_ path: String) {
            bytes = FileManager.default.contents(atPath: path)
            companions = ["-wal", "-shm"].map { FileManager.default.fileExists(atPath: path + $0) }
        }
    }

    static let config = TestExecutables.repositoryRoot.appendingPathComponent("Config").path

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, errors: String) {
        let result = try TestExecutables.runRehabsync(arguments, environment: environment)
        return (result.status, result.errors)
    }

    /// The server's database as the server leaves it, a foreign SQLite file, a file that is
    /// not SQLite, and a replica, each in a directory of its own named after it.
    static func files(in scratch: TemporaryDirectory) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in ["server", "foreign", "text", "replica", "missing"] {
            let directory = scratch.path(name)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            files[name] = directory + "/rehabsync.sqlite"
        }
        let reference = try ReferenceDataFiles.load(
            kvaDirectory: config + "/kva", questionnaireDirectory: config + "/questionnaires",
            today: CivilDate.swedishToday(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000)))
        do {
            let service = try SyncService(databasePath: files["server"]!, reference: reference,  // safe because set above
                                          now: { Int64(Date().timeIntervalSince1970 * 1_000) })
            _ = try service.enrol(name: "laptop", units: ["SE2321000016-A001"])
        }
        let foreign = try Connection(path: files["foreign"]!, readOnly: false, busyTimeoutMilliseconds: 1_000)  // safe because set above
        try foreign.execute("PRAGMA journal_mode = WAL; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')")
        try Data("name,value\n".utf8).write(to: URL(fileURLWithPath: files["text"]!))  // safe because set above
        _ = try Replica.create(path: files["replica"]!, server: "http://127.0.0.1:1",  // safe because set above
                               token: "rs1.\(ReplicaID.random()).secret", clinician: nil, offline: true)
        return files
    }

    static let replicaCommands: [[String]] = [
        ["init", "--server", "http://127.0.0.1:1", "--token", "rs1.x.y", "--clinician", "SE2321000016-N001", "--offline"],
        ["write", "--collection", "carePlans", "--json", "{}"], ["get", "--collection", "carePlans", "--id", "x"],
        ["list"], ["list", "--collection", "carePlans"], ["conflicts"],
        ["resolve", "--collection", "carePlans", "--id", "x", "--field", "title", "--json", "\"t\""],
        ["set-aside"], ["discard", "--set-aside", "1"], ["reapply", "--set-aside", "1"], ["sync"], ["status"], ["resync"], ["dump"],
        ["set", "--clinician", "SE2321000016-N001"],
    ]

    @Test func everyReplicaCommandRefusesAServerDatabaseAForeignFileAndAMissingFileUntouched() throws {
        let scratch = try TemporaryDirectory(prefix: "rehabsync-file-safety")
        let files = try Self.files(in: scratch)
        var refusals = 0
        for (name, path) in files where name != "replica" {
            for command in Self.replicaCommands where !(name == "missing" && command[0] == "init") {
                let before = Snapshot(path)
                let result = try Self.run(["replica"] + command + ["--db", path], environment: ["REHABSYNC_CONFIG_DIR": Self.config])
                #expect(result.status == 1, "replica \(command[0]) on the \(name) file: \(result.errors)")
                #expect(Snapshot(path) == before, "replica \(command[0]) changed the \(name) file")
                if result.status == 1 && Snapshot(path) == before { refusals += 1 }
            }
        }
        #expect(refusals == 4 * Self.replicaCommands.count - 1)
        let server = try Self.run(["replica", "status", "--db", files["server"]!], environment: ["REHABSYNC_CONFIG_DIR": Self.config])
        #expect(server.errors.contains("is a RehabSync server database (schema version \(SyncService.schemaVersion)), not a replica"))
        let foreign = try Self.run(["replica", "list", "--db", files["foreign"]!], environment: ["REHABSYNC_CONFIG_DIR": Self.config])
        #expect(foreign.errors.contains("a SQLite database that is not RehabSync's"))
        let text = try Self.run(["replica", "dump", "--db", files["text"]!], environment: ["REHABSYNC_CONFIG_DIR": Self.config])
        #expect(text.errors.contains("not a SQLite database"))
        #expect(!FileManager.default.fileExists(atPath: files["missing"]!))  // safe because set above
        let initServer = try Self.run(["replica"] + Self.replicaCommands[0] + ["--db", files["server"]!])  // safe because set above
        #expect(initServer.errors.contains("exists and is a RehabSync server database"), "\(initServer.errors)")
    }

    @Test func theServerSideCommandsRefuseAReplicaAForeignFileAndAMissingFileUntouched() throws {
        let scratch = try TemporaryDirectory(prefix: "rehabsync-file-safety")
        let files = try Self.files(in: scratch)
        let repository = TestExecutables.repositoryRoot
        for (name, path) in files where name != "server" {
            let data = (path as NSString).deletingLastPathComponent
            let environment = ["REHABSYNC_DATA_DIR": data, "REHABSYNC_JOBS_DIR": repository.appendingPathComponent("Jobs").path,
                               "REHABSYNC_CONFIG_DIR": Self.config, "REHABSYNC_LOG_LEVEL": "critical"]
            let config = Self.config + "/rehabsync.json"
            var commands: [[String]] = [
                ["admin", "backup", "--data-dir", data, "--to", scratch.path("\(name)-backup.sqlite")],
                ["admin", "restore", "--data-dir", scratch.path("restored-\(name)"), "--from", path],
                ["export", "status", "--config", config], ["export", "next", "--config", config],
                ["export", "run", "--job", "monthly-register-export", "--period", "2026-02", "--dry-run", "--config", config],
            ]
            // serve creates a missing database. Should it ever open a wrong file, the address
            // (TEST-NET, not this machine's) makes it exit at bind instead of serving on.
            if name != "missing" { commands.append(["serve", "--config", config]) }
            for command in commands {
                let before = Snapshot(path)
                let result = try Self.run(command, environment: command[0] == "serve"
                    ? environment.merging(["REHABSYNC_LISTEN": "192.0.2.1:8088"]) { $1 } : environment)
                #expect(result.status == 1, "\(command.prefix(2)) on the \(name) file: \(result.errors)")
                #expect(Snapshot(path) == before, "\(command.prefix(2)) changed the \(name) file")
            }
            #expect(!FileManager.default.fileExists(atPath: scratch.path("\(name)-backup.sqlite")))
            #expect(!FileManager.default.fileExists(atPath: scratch.path("restored-\(name)")))
        }
        let replica = try Self.run(["admin", "backup", "--data-dir", (files["replica"]! as NSString).deletingLastPathComponent,
                                    "--to", scratch.path("x.sqlite")])
        #expect(replica.errors.contains("is a RehabSync replica (schema version \(Replica.schemaVersion)), not a RehabSync server database"))
        let serve = try Self.run(["serve", "--config", Self.config + "/rehabsync.json"],
                                 environment: ["REHABSYNC_DATA_DIR": (files["foreign"]! as NSString).deletingLastPathComponent,  // safe because set above
                                               "REHABSYNC_LISTEN": "192.0.2.1:8088"])
        #expect(serve.status == 1)
        #expect(serve.errors.contains("is a SQLite database that is not RehabSync's, not a RehabSync server database; nothing was changed"),
                "\(serve.errors)")
    }

    /// The commands of the table that open no database file: they call a running server,
    /// read job or reference files, or store the register's Bundles as plain files.
    static let commandsOpeningNoDatabase: Set<String> = [
        "admin enrol", "admin revoke", "admin devices", "admin audit verify", "admin audit head", "admin audit extract",
        "admin dump", "export validate", "register serve", "schema", "healthcheck", "version", "help",
    ]

    /// The commands the two tests above give the wrong file.
    static let commandsGivenTheWrongFile: Set<String> = Set(replicaCommands.map { "replica \($0[0])" })
        .union(["admin backup", "admin restore", "export status", "export next", "export run", "serve"])

    @Test("Every command of the command table either opens no database or is given the wrong files by the tests above")
    func everyCommandIsCovered() throws {
        let reference = try TestExecutables.runRehabsync(["help", "--reference"])
        #expect(reference.status == 0)
        // Headings name every command: `### `rehabsync replica`` for a group, `#### …` below.
        let commands = reference.output.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("#"), let start = line.range(of: "`rehabsync "), let end = line.range(of: "`", range: start.upperBound..<line.endIndex)
            else { return nil }
            return String(line[start.upperBound..<end.lowerBound])
        }
        let leaves = commands.filter { command in !commands.contains { $0.hasPrefix(command + " ") } }
        #expect(leaves.count > 30, "the reference names \(leaves.count) commands")
        let uncovered = Set(leaves).subtracting(Self.commandsOpeningNoDatabase).subtracting(Self.commandsGivenTheWrongFile)
        #expect(uncovered.isEmpty, "commands not checked against the wrong file: \(uncovered.sorted())")
        #expect(Self.commandsGivenTheWrongFile.isSubset(of: Set(leaves)), "a checked command is no longer in the table")
    }

    @Test func inspectionTellsEachKindWithoutLeavingCompanionFiles() throws {
        let scratch = try TemporaryDirectory(prefix: "rehabsync-file-safety")
        let files = try Self.files(in: scratch)
        for (name, path) in files {
            let before = Snapshot(path)
            let kind = try DatabaseInspection.inspect(path: path)
            #expect(Snapshot(path) == before, "inspecting the \(name) file changed it")
            switch name {
            case "server": #expect(kind == .server(version: Int64(SyncService.schemaVersion)))
            case "replica": #expect(kind == .replica(version: Int64(Replica.schemaVersion)))
            case "foreign": #expect(kind == .foreignSQLite)
            case "text": #expect(kind == .notSQLite)
            default: #expect(kind == .missing)
            }
        }
    }

    @Test func aReplicaWrittenByANewerRehabSyncIsRefusedUntouched() throws {
        let scratch = try TemporaryDirectory(prefix: "rehabsync-file-safety")
        let path = try #require(try Self.files(in: scratch)["replica"])
        do {
            let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 1_000)
            try connection.execute("PRAGMA user_version = \(Replica.schemaVersion + 1)")
        }
        let before = Snapshot(path)
        let result = try Self.run(["replica", "status", "--db", path], environment: ["REHABSYNC_CONFIG_DIR": Self.config])
        #expect(result.status == 1)
        #expect(result.errors.contains("written by a newer RehabSync"), "\(result.errors)")
        #expect(Snapshot(path) == before)
    }
}
