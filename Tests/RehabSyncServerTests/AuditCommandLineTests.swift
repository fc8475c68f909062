import Dispatch
import Foundation
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Testing

/// `rehabsync admin audit head|verify --head|extract` and `replica list --patient` as an
/// operator runs them, against a live server on loopback.
struct AuditCommandLineTests {
    typealias F = ServerFixtures

    /// Runs `rehabsync` with `arguments`; the exit status and stdout, within a deadline.
    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try TestExecutables.rehabsync()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard finished.wait(timeout: .now() + 30) == .success else {
            process.terminate()
            throw POSIXError(.ETIMEDOUT)
        }
        return (process.terminationStatus, text)
    }

    static let root = TestExecutables.repositoryRoot

    /// Runs `body` with a live server on loopback (its port and scratch directory), and
    /// stops the server however `body` ends.
    private func withServer(_ body: (ServerApplication, Int, ServerScratch) throws -> Void) throws {
        let scratch = try ServerScratch()
        var settings = try ServerSettings.load(path: Self.root.appendingPathComponent("Config/rehabsync.json").path, environment: [:])
        settings.port = 0
        settings.dataDirectory = scratch.path("data")
        let server = try ServerApplication(settings: settings, logger: Logger(label: "cli", minimumLevel: .critical))
        let port = try server.start()
        defer {
            server.stop(gracePeriod: .seconds(1))
            server.http.waitUntilStopped()
            server.finish()
        }
        try body(server, port, scratch)
    }

    @Test func verifyWithTheHeadWrittenDownFailsAfterTheLastEntriesAreRemovedAndLookupsTakeAnySpelling() throws {
        // The audit and replica commands run as separate processes, as an operator runs them.
        try withServer { server, port, scratch in
            let (device, token) = try server.service.enrol(name: "Laptop", units: [F.unitA])
            _ = try server.service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
            let admin = ["--server", "http://127.0.0.1:\(port)", "--data-dir", scratch.path("data")]

            let head = try run(["admin", "audit", "head"] + admin)
            #expect(head.status == 0)
            let anchor = try #require(try JSONParser.parse(Array(head.output.utf8)).objectValue?["head"]?.stringValue)
            #expect(try run(["admin", "audit", "verify", "--head", anchor] + admin).status == 0)

            let extract = try run(["admin", "audit", "extract", "--patient", "19121212-1212"] + admin)
            #expect(extract.status == 0)
            #expect(extract.output.contains(#""record":"p1""#))
            #expect(try run(["admin", "audit", "extract", "--patient", "1212121213"] + admin).status != 0)

            // The device's lookups normalise the same way.
            let db = scratch.path("clinic.db")
            let replica = ["--db", db, "--config-dir", Self.root.appendingPathComponent("Config").path]
            #expect(try run(["replica", "init", "--db", db, "--server", "http://127.0.0.1:\(port)", "--token", token,
                             "--clinician", F.nurse]).status == 0)
            #expect(try run(["replica", "write", "--collection", "carePlans", "--id", "local-1", "--json",
                             #"{"patient":"19121212-1212","careUnits":["\#(F.unitA)"],"title":"Plan","status":"draft"}"#] + replica).status == 0)
            let listed = try run(["replica", "list", "--patient", "19121212-1212"] + replica)
            #expect(listed.status == 0)
            #expect(listed.output.contains(#""id":"local-1""#))
            #expect(try run(["replica", "list", "--patient", "19121212ABCD"] + replica).status != 0)

            // The last entries cut off with raw SQL and the head moved back to match.
            let keep = try #require(AuditHead(anchor)).entry - 1
            let raw = try Connection(path: scratch.path("data/rehabsync.sqlite"), readOnly: false, busyTimeoutMilliseconds: 1_000)
            try raw.execute("DROP TRIGGER audit_no_delete")
            try raw.execute("DROP TRIGGER audit_patients_no_delete")
            try raw.execute("DELETE FROM audit WHERE id > \(keep)")
            try raw.execute("DELETE FROM audit_patients WHERE entry > \(keep)")
            try raw.execute("UPDATE audit_head SET last_id = \(keep), last_hash = (SELECT hash FROM audit WHERE id = \(keep))")
            #expect(try run(["admin", "audit", "verify"] + admin).status == 0)
            let anchored = try run(["admin", "audit", "verify", "--head", anchor] + admin)
            #expect(anchored.status != 0)
            #expect(anchored.output.contains("anchored head"))
        }
    }

    @Test func aServersRefusalIsPrintedAsItsCodeAndMessageNotAsRawJSON() throws {
        try withServer { _, port, scratch in
            let result = try TestExecutables.runRehabsync(["admin", "revoke", "--replica", "no-such-device", "--server",
                                                           "http://127.0.0.1:\(port)", "--data-dir", scratch.path("data")])
            #expect(result.status == 1)
            #expect(result.errors.hasPrefix("rehabsync: server answered 400 invalid_replica_id at replicaId: replica ids are"), "\(result.errors)")
            #expect(!result.errors.contains("{"), "\(result.errors)")
            #expect(result.errors.split(separator: ":").count >= 3, "\(result.errors)")
        }
    }

    @Test("admin devices --output table lists each device in aligned columns with its units and Swedish times")
    func devicesAsATable() throws {
        try withServer { server, port, scratch in
            _ = try server.service.enrol(name: "Laptop Åsa", units: [F.unitA])
            _ = try server.service.enrol(name: "Tablet", units: [F.unitA, F.unitB])
            let admin = ["--server", "http://127.0.0.1:\(port)", "--data-dir", scratch.path("data")]
            let table = try run(["admin", "devices", "--output", "table"] + admin)
            #expect(table.status == 0)
            let lines = table.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(table.output)")
            #expect(lines.first?.hasPrefix("REPLICA ID") == true, "\(table.output)")
            // Columns line up: every row has its name where the header has NAME.
            let nameColumn = try #require(lines.first?.range(of: "NAME")).lowerBound.utf16Offset(in: lines[0])
            for row in lines.dropFirst() {
                let name = try #require(row.range(of: row.contains("Tablet") ? "Tablet" : "Laptop Åsa"))
                #expect(row.distance(from: row.startIndex, to: name.lowerBound) == nameColumn, "\(row)")
                #expect(row.contains(F.unitA))
                #expect(row.firstMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00/) != nil, "enrolment time in Swedish time: \(row)")
            }
            let json = try run(["admin", "devices"] + admin)
            #expect(json.status == 0)
            #expect(try JSONParser.parse(Array(json.output.utf8)).objectValue?["devices"]?.arrayValue?.count == 2)
        }
    }
}
