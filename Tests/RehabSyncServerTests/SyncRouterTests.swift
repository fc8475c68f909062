import Foundation
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import Testing

struct SyncRouterTests {
    typealias F = ServerFixtures

    struct Harness {
        let scratch: ServerScratch
        let router: SyncRouter
        let adminToken = "admin-secret"

        init(logger: Logger = Logger(label: "test", minimumLevel: .critical)) throws {
            scratch = try ServerScratch()
            router = SyncRouter(service: try F.service(scratch), admin: AdminCredential(token: "admin-secret"), logger: logger)
        }

        func send(_ method: String, _ target: String, token: String? = nil, body: [UInt8] = [],
                  headers: [(String, String)] = []) -> HTTPResponse {
            var all = headers
            if let token { all.append(("Authorization", "Bearer \(token)")) }
            return router.handle(HTTPRequest(method: method, target: target, headers: HTTPHeaders(all), body: body,
                                             requestID: "test-request", remoteAddress: "127.0.0.1"))
        }

        func json(_ response: HTTPResponse) -> [String: JSONValue] {
            (try? JSONParser.parse(response.body))?.objectValue ?? [:]
        }

        func enrol(_ unit: String) throws -> (replica: String, token: String) {
            let response = send("POST", "/v1/admin/devices", token: adminToken,
                                body: Array(#"{"name":"Laptop","units":["\#(unit)"]}"#.utf8))
            let body = json(response)
            return (try #require(body["replicaId"]?.stringValue), try #require(body["token"]?.stringValue))
        }
    }

    func error(_ response: HTTPResponse) -> (String?, String?) {
        let object = (try? JSONParser.parse(response.body))?.objectValue?["error"]?.objectValue
        return (object?["code"]?.stringValue, object?["field"]?.stringValue)
    }

    @Test func everyRouteIsInTheOpenAPIDocument() throws {
        let harness = try Harness()
        let response = harness.send("GET", "/openapi.json")
        #expect(response.status.code == 200)
        let document = harness.json(response)
        #expect(document["openapi"] == .string("3.1.0"))
        let paths = try #require(document["paths"]?.objectValue)
        for route in harness.router.routes {
            #expect(paths[route.pattern]?.objectValue?[route.method.lowercased()] != nil, "\(route.method) \(route.pattern) is undocumented")
        }
    }

    @Test func errorsCarryCodeMessageAndField() throws {
        let harness = try Harness()
        let response = harness.send("POST", "/v1/admin/devices", token: harness.adminToken, body: Array(#"{"name":"x","units":["bad"]}"#.utf8))
        #expect(response.status.code == 400)
        let body = harness.json(response)
        let object = try #require(body["error"]?.objectValue)
        #expect(Set(object.keys) == ["code", "message", "field"])
        #expect(object["field"] == .string("units[0]"))
    }

    @Test func adminRoutesNeedTheAdminToken() throws {
        let harness = try Harness()
        #expect(harness.send("GET", "/v1/admin/devices").status.code == 401)
        #expect(harness.send("GET", "/v1/admin/devices", token: "wrong").status.code == 401)
        #expect(harness.send("GET", "/v1/admin/devices", token: harness.adminToken).status.code == 200)
    }

    @Test func deviceRoutesNeedADeviceTokenAndRevocationTakesEffectAtOnce() throws {
        let harness = try Harness()
        let (replica, token) = try harness.enrol(F.unitA)
        let headers = [("X-Clinician", F.nurse)]
        #expect(harness.send("GET", "/v1/sync/pull", headers: headers).status.code == 401)
        #expect(harness.send("GET", "/v1/sync/pull", token: token, headers: headers).status.code == 200)
        #expect(harness.send("POST", "/v1/admin/devices/\(replica)/revoke", token: harness.adminToken).status.code == 200)
        let refused = harness.send("GET", "/v1/sync/pull", token: token, headers: headers)
        #expect(refused.status.code == 401)
        #expect(refused.headers.values(for: "WWW-Authenticate") == ["Bearer"])
    }

    @Test func aPullWithoutTheClinicianIsRefused() throws {
        let harness = try Harness()
        let (_, token) = try harness.enrol(F.unitA)
        let response = harness.send("GET", "/v1/sync/pull", token: token)
        #expect(response.status.code == 400)
        #expect(error(response).1 == "X-Clinician")
    }

    @Test func malformedJSONAndBadParametersGet400NamingTheField() throws {
        let harness = try Harness()
        let (_, token) = try harness.enrol(F.unitA)
        #expect(harness.send("POST", "/v1/sync/push", token: token, body: Array("{\"records\":[".utf8)).status.code == 400)
        let badCursor = harness.send("GET", "/v1/sync/pull?since=-4", token: token, headers: [("X-Clinician", F.nurse)])
        #expect(badCursor.status.code == 400)
        #expect(error(badCursor).1 == "since")
        let badLimit = harness.send("GET", "/v1/sync/pull?limit=999999", token: token, headers: [("X-Clinician", F.nurse)])
        #expect(error(badLimit).1 == "limit")
    }

    @Test func unknownRoutesAndMethodsAreAnsweredCleanly() throws {
        let harness = try Harness()
        #expect(harness.send("GET", "/nope").status.code == 404)
        let wrongMethod = harness.send("DELETE", "/v1/sync/push")
        #expect(wrongMethod.status.code == 405)
        #expect(wrongMethod.headers.values(for: "Allow") == ["POST"])
    }

    @Test func aRecordIsReadOneAtATimeAndHiddenFromOtherUnits() throws {
        let harness = try Harness()
        let (replicaA, tokenA) = try harness.enrol(F.unitA)
        let (_, tokenB) = try harness.enrol(F.unitB)
        let state = try F.state(F.plan(), replica: try #require(ReplicaID(replicaA)))
        #expect(harness.send("POST", "/v1/sync/push", token: tokenA, body: F.body([("carePlans", "p1", state)])).status.code == 200)
        let headers = [("X-Clinician", F.nurse)]
        let mine = harness.send("GET", "/v1/records/carePlans/p1", token: tokenA, headers: headers)
        #expect(mine.status.code == 200)
        #expect(harness.json(mine)["state"].map { $0.canonicalBytes } == state.canonicalBytes)
        #expect(harness.send("GET", "/v1/records/carePlans/p1", token: tokenB, headers: headers).status.code == 404)
    }

    @Test func metricsCountRequestsByRouteAndStatus() throws {
        let harness = try Harness()
        _ = harness.send("GET", "/healthz")
        _ = harness.send("GET", "/v1/admin/devices")
        #expect(harness.send("GET", "/metrics").status.code == 401)
        let text = String(decoding: harness.send("GET", "/metrics", token: harness.adminToken).body, as: UTF8.self)
        #expect(text.contains(#"rehabsync_http_requests_total{route="/healthz",status="200"} 1"#))
        #expect(text.contains(#"rehabsync_http_requests_total{route="/v1/admin/devices",status="401"} 1"#))
        #expect(text.contains("rehabsync_open_conflicts 0"))
        #expect(text.contains("rehabsync_http_request_duration_seconds_bucket"))
    }
}

struct ServerSettingsTests {
    @Test func theEnvironmentOverridesTheFile() throws {
        let scratch = try ServerScratch()
        let path = scratch.path("rehabsync.json")
        try Data(#"{"listen":"0.0.0.0:9000","dataDirectory":"/var/lib/rehabsync","workers":4}"#.utf8).write(to: URL(fileURLWithPath: path))
        let settings = try ServerSettings.load(path: path, environment: ["REHABSYNC_LISTEN": "127.0.0.1:7000", "REHABSYNC_DATA_DIR": "/tmp/d"])
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 7000)
        #expect(settings.dataDirectory == "/tmp/d")
        #expect(settings.workers == 4)
        #expect(settings.kvaDirectory == scratch.path("kva"))
    }

    @Test func unknownSettingsAndBadValuesAreRefused() throws {
        let scratch = try ServerScratch()
        let path = scratch.path("rehabsync.json")
        try Data(#"{"listne":"0.0.0.0:9000"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SettingsError.self) { try ServerSettings.load(path: path, environment: [:]) }
        #expect(throws: SettingsError.self) { try ServerSettings.load(path: nil, environment: ["REHABSYNC_WORKERS": "zero"]) }
        #expect(throws: SettingsError.self) { try ServerSettings.load(path: nil, environment: ["REHABSYNC_LISTEN": "nohost"]) }
    }

    @Test func theShippedConfigurationAndReferenceDataLoad() throws {
        let root = TestExecutables.repositoryRoot
        let settings = try ServerSettings.load(path: root.appendingPathComponent("Config/rehabsync.json").path, environment: [:])
        #expect(settings.port == 8088)
        let reference = try settings.loadReferenceData(today: ServerFixtures.reference().today)
        #expect(reference.kvaList?.version == "2026")
        #expect(reference.kvaList?.contains("XV020") == true)
        #expect(reference.questionnaires.keys.sorted() == ["example-problem-areas@1", "halsoskattning@1", "halsoskattning@2"])
        #expect(reference.reserveNumberFormats.map(\.name) == ["regional-reserve-example"])
        // The same whether the file is named or found as the default.
        let defaults = try ServerSettings.load(path: nil, environment: ["REHABSYNC_CONFIG": root.appendingPathComponent("Config/rehabsync.json").path])
        #expect(try defaults.loadReferenceData(today: ServerFixtures.reference().today).reserveNumberFormats.count == 1)
    }

    @Test func theAdminTokenFileIsCreatedOnceAndReadableByTheOwnerOnly() throws {
        let scratch = try ServerScratch()
        let path = scratch.path("data/admin-token")
        let (token, created) = try AdminTokenFile.loadOrCreate(at: path)
        #expect(created)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let again = try AdminTokenFile.loadOrCreate(at: path)
        #expect(again.token == token)
        #expect(!again.created)
    }
}

struct AdminTokenFileTests {
    @Test func aTokenFileOthersCanReadIsRefused() throws {
        let scratch = try ServerScratch()
        let path = scratch.path("admin-token")
        _ = try AdminTokenFile.loadOrCreate(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: SettingsError.self) { try AdminTokenFile.read(at: path) }
    }
}
