import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real server on a loopback port, spoken to with libcurl and raw sockets.
struct LiveServerTests {
    typealias F = ServerFixtures

    final class Running {
        let scratch: ServerScratch
        let application: ServerApplication
        let base: String
        let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 10))

        init(configure: (inout ServerSettings) -> Void = { _ in }) throws {
            scratch = try ServerScratch()
            var settings = try ServerSettings.load(path: nil, environment: [:])
            settings.port = 0
            settings.dataDirectory = scratch.path("data")
            let root = TestExecutables.repositoryRoot
            settings.kvaDirectory = root.appendingPathComponent("Config/kva").path
            settings.questionnaireDirectory = root.appendingPathComponent("Config/questionnaires").path
            settings.requestTimeoutSeconds = 1
            settings.workers = 4
            configure(&settings)
            application = try ServerApplication(settings: settings, logger: Logger(label: "test", minimumLevel: .critical),
                                                now: { F.wall })
            base = "http://127.0.0.1:\(try application.start())"
        }

        deinit {
            application.stop(gracePeriod: .seconds(1))
            application.http.waitUntilStopped()
            application.finish()
        }

        func admin(_ method: String, _ path: String, body: String? = nil) throws -> HTTPClientResponse {
            try client.send(method, base + path, headers: ["Authorization": "Bearer \(application.adminToken)"], body: body.map { Array($0.utf8) })
        }

        func enrol(_ unit: String) throws -> (replica: ReplicaID, token: String) {
            let response = try admin("POST", "/v1/admin/devices", body: #"{"name":"Laptop","units":["\#(unit)"]}"#)
            let body = try JSONParser.parse(response.body).objectValue
            return (try #require(body?["replicaId"]?.stringValue.flatMap(ReplicaID.init)), try #require(body?["token"]?.stringValue))
        }

        func device(_ method: String, _ path: String, token: String, body: [UInt8]? = nil) throws -> HTTPClientResponse {
            try client.send(method, base + path, headers: ["Authorization": "Bearer \(token)", "X-Clinician": F.nurse], body: body)
        }

        /// Sends raw bytes on a new connection and returns what comes back before close.
        func raw(_ bytes: [UInt8], then wait: Double = 2) throws -> String {
            let socket = try RawSocket(port: Int(base.split(separator: ":").last ?? "0") ?? 0)
            try socket.send(bytes)
            return String(decoding: socket.receiveAll(timeout: wait), as: UTF8.self)
        }
    }

    @Test func pushAndPullOverHTTPAndARepeatedPushChangesNothing() throws {
        let server = try Running()
        let (replica, token) = try server.enrol(F.unitA)
        let body = F.body([("carePlans", "p1", try F.state(F.plan(), replica: replica))])
        let first = try server.device("POST", "/v1/sync/push", token: token, body: body)
        #expect(first.status == 200)
        #expect(try JSONParser.parse(first.body).objectValue?["changed"] == .integer(1))
        let again = try server.device("POST", "/v1/sync/push", token: token, body: body)
        #expect(try JSONParser.parse(again.body).objectValue?["changed"] == .integer(0))
        let pulled = try server.device("GET", "/v1/sync/pull?since=0&limit=10", token: token)
        let page = try JSONParser.parse(pulled.body).objectValue
        #expect(page?["records"]?.arrayValue?.count == 1)
        #expect(page?["hasMore"] == .bool(false))
    }

    @Test func anInterruptedPushStoresNothingAndTheRetrySucceeds() throws {
        // One worker: the request after the interrupted one is answered only once the
        // worker is done with it, so the count below cannot be read too early.
        let server = try Running { $0.workers = 1 }
        let (replica, token) = try server.enrol(F.unitA)
        let body = F.body([("carePlans", "p1", try F.state(F.plan(), replica: replica))])
        // The connection drops halfway through the body.
        let head = "POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(body.count)\r\n\r\n"
        let socket = try RawSocket(port: Int(server.base.split(separator: ":").last ?? "0") ?? 0)
        try socket.send(Array(head.utf8) + body.prefix(body.count / 2))
        socket.close()
        #expect(try server.device("GET", "/healthz", token: token).status == 200)
        #expect(try server.application.service.store.read { try $0.count() } == 0)
        #expect(try server.device("POST", "/v1/sync/push", token: token, body: body).status == 200)
        #expect(try server.application.service.store.read { try $0.count() } == 1)
    }

    @Test func aPullAskedAgainFromTheSameCursorGivesTheSamePageAndThenTheRest() throws {
        let server = try Running()
        let (replica, token) = try server.enrol(F.unitA)
        let records = try (0..<5).map { ("carePlans", "p\($0)", try F.state(F.plan(title: "t\($0)"), replica: replica, counter: Int64($0 + 1))) }
        _ = try server.device("POST", "/v1/sync/push", token: token, body: F.body(records))
        let first = try JSONParser.parse(try server.device("GET", "/v1/sync/pull?limit=2", token: token).body).objectValue
        let cursor = try #require(first?["nextCursor"]?.integerValue)
        // The device lost the next page; asking again from the same cursor gives it again.
        let lost = try server.device("GET", "/v1/sync/pull?since=\(cursor)&limit=2", token: token)
        let retried = try server.device("GET", "/v1/sync/pull?since=\(cursor)&limit=2", token: token)
        #expect(lost.body == retried.body)
        let rest = try JSONParser.parse(try server.device("GET", "/v1/sync/pull?since=\(cursor)&limit=10", token: token).body).objectValue
        #expect(rest?["records"]?.arrayValue?.count == 3)
    }

    @Test func aDeviceOutOfScopeGets403AndARevokedOne401() throws {
        let server = try Running()
        let (replica, token) = try server.enrol(F.unitA)
        let foreign = F.body([("carePlans", "p1", try F.state(F.plan(units: [F.unitB]), replica: replica))])
        let refused = try server.device("POST", "/v1/sync/push", token: token, body: foreign)
        #expect(refused.status == 403)
        #expect(refused.bodyText.contains(#""field":"records[0]""#))
        #expect(try server.admin("POST", "/v1/admin/devices/\(replica)/revoke").status == 200)
        #expect(try server.device("GET", "/v1/sync/pull", token: token).status == 401)
    }

    @Test func malformedJSONAndOversizeBodiesGetTheirStatus() throws {
        let server = try Running { $0.maxBodyBytes = 4_096 }
        let (_, token) = try server.enrol(F.unitA)
        let malformed = try server.device("POST", "/v1/sync/push", token: token, body: Array(#"{"records":[{"collection":"carePlans",}]}"#.utf8))
        #expect(malformed.status == 400)
        #expect(malformed.bodyText.contains(#""code":"malformed_json""#))
        let huge = try server.device("POST", "/v1/sync/push", token: token, body: [UInt8](repeating: 0x20, count: 10_000))
        #expect(huge.status == 413)
    }

    @Test func theAuditLogOverHTTPShowsWritesAndDeliveriesAndCatchesTampering() throws {
        let server = try Running()
        let (replica, token) = try server.enrol(F.unitA)
        _ = try server.device("POST", "/v1/sync/push", token: token, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: replica))]))
        _ = try server.device("GET", "/v1/sync/pull", token: token)
        let extract = try JSONParser.parse(try server.admin("GET", "/v1/admin/audit?patient=\(F.patient)").body)
        let actions = extract.objectValue?["entries"]?.arrayValue?.compactMap { $0.objectValue?["action"]?.stringValue }
        #expect(actions == ["write", "deliver"])
        #expect(try server.admin("GET", "/v1/admin/audit/verify").bodyText.contains(#""ok":true"#))
        let raw = try Connection(path: server.application.settings.databasePath, readOnly: false, busyTimeoutMilliseconds: 1_000)
        try raw.execute("DROP TRIGGER audit_no_update")
        try raw.execute("UPDATE audit SET subjects = replace(subjects, '\(F.patient)', '190101010101') WHERE action = 'write'")
        #expect(try server.admin("GET", "/v1/admin/audit/verify").bodyText.contains(#""ok":false"#))
    }

    @Test func malformedHTTPGets400AndTheConnectionCloses() throws {
        let server = try Running()
        for request in ["GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                        "POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"] {
            let socket = try RawSocket(port: Int(server.base.split(separator: ":").last ?? "0") ?? 0)
            try socket.send(Array(request.utf8))
            // The request lacks nothing the server waits for, so only its close ends the read.
            let (answer, closed) = socket.receiveUntilClosed(timeout: 10)
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
            #expect(closed, "the server kept the connection open after a 400")
        }
    }

    @Test func slowClientsHoldingEveryWorkerAreCutOffAtTheRequestTimeoutAndTheNextClientIsServed() throws {
        let server = try Running { $0.workers = 2 }
        let port = Int(server.base.split(separator: ":").last ?? "0") ?? 0
        // Two clients start a request and stall, one per worker.
        let stalled = try (0..<2).map { _ in try RawSocket(port: port) }
        for socket in stalled { try socket.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8)) }
        let answer = try server.client.send("GET", server.base + "/healthz")
        #expect(answer.status == 200)
        // Served because the server closed the stalled ones (request timeout 1 s here),
        // not because they gave up: each sees the server close its connection.
        for socket in stalled {
            #expect(socket.receiveUntilClosed(timeout: 10).closed)
            socket.close()
        }
    }
}
