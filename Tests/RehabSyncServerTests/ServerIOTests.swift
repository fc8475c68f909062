import Foundation
import Synchronization
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Testing

/// The sync server's side of issue 12: cheap hot paths, honest readiness, page sizes, and
/// the small protocol gaps.
struct ServerIOTests {
    typealias F = ServerFixtures

    func router(_ service: SyncService, metricsToken: String? = nil) -> SyncRouter {
        SyncRouter(service: service, admin: AdminCredential(token: "admin-secret"),
                   logger: Logger(label: "test", minimumLevel: .critical), metricsToken: metricsToken)
    }

    func send(_ router: SyncRouter, _ method: String, _ target: String, token: String? = nil,
              headers: [(String, String)] = [], body: [UInt8] = []) -> HTTPResponse {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        return router.handle(HTTPRequest(method: method, target: target, headers: HTTPHeaders(all), body: body,
                                         requestID: "test", remoteAddress: "127.0.0.1"))
    }

    func errorCode(_ response: HTTPResponse) -> String? {
        (try? JSONParser.parse(response.body))?.objectValue?["error"]?.objectValue?["code"]?.stringValue
    }

    @Test func anEmptyPullCommitsNothing() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        let first = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        #expect(first.records.count == 1)
        let commits = service.store.database.health.commitCount
        for _ in 0..<20 {
            let empty = try service.pull(device: device, clinician: F.nurse, since: first.nextCursor, limit: nil)
            #expect(empty.records.isEmpty)
        }
        #expect(service.store.database.health.commitCount == commits)
        // The device still shows as seen, with its cursor, to the administrator.
        let overview = try service.deviceOverview().arrayValue?.first?.objectValue
        #expect(overview?["cursor"] == .integer(first.nextCursor))
        #expect(overview?["lastSeenAt"] == .integer(F.wall))
        // And it reaches the table at shutdown.
        try service.flushDeviceActivity()
        #expect(service.store.database.health.commitCount == commits + 1)
    }

    @Test func aPullSinceBeyondTheServersHeadIsRefused() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (device, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        let head = try service.store.read { try $0.clockState().sequence }
        #expect(try service.pull(device: device, clinician: F.nurse, since: head, limit: nil).records.isEmpty)
        let response = send(router(service), "GET", "/v1/sync/pull?since=\(head + 1)", token: token, headers: [("X-Clinician", F.nurse)])
        #expect(response.status.code == 400)
        #expect(errorCode(response) == "cursor_ahead")
    }

    @Test func pullPagesAreCappedByBytesAsWellAsRecords() throws {
        let scratch = try ServerScratch()
        let writer = try F.service(scratch)
        let (device, _) = try writer.enrol(name: "Laptop", units: [F.unitA])
        let records = try (0..<6).map { index in
            var values = F.plan(title: "t\(index)")
            values["summary"] = .string(String(repeating: "s", count: 1_500))
            return ("carePlans", "p\(index)", try F.state(values, replica: device.replicaID, counter: Int64(index + 1)))
        }
        _ = try writer.push(device: device, body: F.body(records))
        // Room for two records' state and envelope, not three.
        let sizes = try writer.pull(device: device, clinician: F.nurse, since: 0, limit: 100).records
            .map { $0.stateBytes.count + $0.collection.utf8.count + $0.recordID.utf8.count + 64 }
        var configuration = SyncServiceConfiguration()
        configuration.maximumPageBytes = sizes[0] + sizes[1] + sizes[2] - 1
        let service = try SyncService(databasePath: scratch.path("server.sqlite"), reference: F.reference(),
                                      configuration: configuration, now: { F.wall })
        var cursor: Int64 = 0
        var pages: [[String]] = []
        while true {
            let page = try service.pull(device: device, clinician: F.nurse, since: cursor, limit: 100)
            pages.append(page.records.map(\.recordID))
            cursor = page.nextCursor
            if !page.hasMore { break }
        }
        #expect(pages.map(\.count) == [2, 2, 2])
        #expect(pages.flatMap { $0 }.sorted() == (0..<6).map { "p\($0)" })

        // A record larger than the cap still goes, alone, so a pull never stalls.
        configuration.maximumPageBytes = 1
        let tiny = try SyncService(databasePath: scratch.path("server.sqlite"), reference: F.reference(),
                                   configuration: configuration, now: { F.wall })
        let single = try tiny.pull(device: device, clinician: F.nurse, since: 0, limit: 100)
        #expect(single.records.count == 1)
        #expect(single.hasMore)
    }

    @Test func everyGETRouteAnswersHEAD() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let router = router(service)
        let (_, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        for route in router.routes where route.method == "GET" {
            let target = route.pattern.replacingOccurrences(of: "{collection}", with: "carePlans")
                .replacingOccurrences(of: "{id}", with: "p1") + "?unit=\(F.unitA)&patient=\(F.patient)"
            let bearer = route.access == .device ? token : "admin-secret"
            let headers = [("X-Clinician", F.nurse)]
            let get = send(router, "GET", target, token: bearer, headers: headers)
            let head = send(router, "HEAD", target, token: bearer, headers: headers)
            #expect(head.status == get.status, "HEAD \(route.pattern)")
            #expect(head.status.code != 405, "HEAD \(route.pattern)")
        }
        let refused = send(router, "DELETE", "/healthz")
        #expect(refused.status.code == 405)
        #expect(refused.headers["Allow"] == "GET, HEAD")
    }

    @Test("HEAD on a pull or a record delivers nothing, so it leaves no audit entry, where GET leaves one")
    func headDeliversNothingAndIsNotAudited() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let router = router(service)
        let (device, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        _ = try service.push(device: device, body: F.body([
            ("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID, counter: 1)),
        ]))
        let headers = [("X-Clinician", F.nurse)]
        for target in ["/v1/sync/pull?since=0", "/v1/records/carePlans/p1"] {
            let before = try service.auditHead()
            let head = send(router, "HEAD", target, token: token, headers: headers)
            #expect(head.status.code == 200, "HEAD \(target)")
            #expect(try service.auditHead() == before, "HEAD \(target) wrote an audit entry")
            let get = send(router, "GET", target, token: token, headers: headers)
            #expect(get.status.code == 200, "GET \(target)")
            // The same answer, whose body the HTTP layer leaves out of a HEAD response.
            #expect(get.body == head.body && !get.body.isEmpty, "GET \(target)")
            #expect(try service.auditHead() != before, "GET \(target) wrote no audit entry")
        }
    }

    @Test func anUnknownMemberIsEchoedOnlyAsAShortPrefix() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (_, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        let name = "patient-19121212-1212-" + String(repeating: "x", count: 500)
        let response = send(router(service), "POST", "/v1/sync/push", token: token,
                            body: Array(#"{"\#(name)":[]}"#.utf8))
        #expect(response.status.code == 400)
        let field = try #require((try? JSONParser.parse(response.body))?.objectValue?["error"]?.objectValue?["field"]?.stringValue)
        #expect(field.count <= CoreError.echoedNameLength + 1)
        #expect(name.hasPrefix(String(field.dropLast())))
    }

    @Test func metricsNeedTheAdminOrTheMetricsTokenAndCountWithoutLoadingRecords() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let router = router(service, metricsToken: "scraper-secret")
        #expect(send(router, "GET", "/metrics").status.code == 401)
        #expect(send(router, "GET", "/metrics", token: "wrong").status.code == 401)
        let scraped = send(router, "GET", "/metrics", token: "scraper-secret")
        #expect(scraped.status.code == 200)
        #expect(String(decoding: scraped.body, as: UTF8.self).contains("rehabsync_storage_commit_failing 0"))
        #expect(send(router, "GET", "/metrics", token: "admin-secret").status.code == 200)
        #expect(send(router, "GET", "/v1/admin/devices", token: "scraper-secret").status.code == 401)
        // The loopback-only listener's entry point needs no token, and serves nothing else.
        let local = router.handleMetricsListener(HTTPRequest(method: "GET", target: "/metrics"))
        #expect(local.status.code == 200)
        #expect(router.handleMetricsListener(HTTPRequest(method: "GET", target: "/v1/admin/devices")).status.code == 404)
    }

    @Test func readyzFailsWhileTheDatabaseCannotCommitAndRecovers() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let router = router(service)
        let (device, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        #expect(send(router, "GET", "/readyz").status.code == 200)

        // SQLite itself refuses every write from now on, as on a read-only file system.
        try service.store.database.writeWithoutTransaction { try $0.execute("PRAGMA query_only=ON") }
        let push = send(router, "POST", "/v1/sync/push", token: token,
                        body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        #expect(push.status.code >= 500)
        #expect(service.store.database.health.commitFailure != nil)
        let notReady = send(router, "GET", "/readyz")
        #expect(notReady.status.code == 503)
        #expect(errorCode(notReady) == "storage_unavailable")
        #expect(notReady.headers["Retry-After"] == "5")
        #expect(send(router, "GET", "/healthz").status.code == 200)
        let metrics = String(decoding: send(router, "GET", "/metrics", token: "admin-secret").body, as: UTF8.self)
        #expect(metrics.contains("rehabsync_storage_commit_failing 1"))

        try service.store.database.writeWithoutTransaction { try $0.execute("PRAGMA query_only=OFF") }
        #expect(send(router, "GET", "/readyz").status.code == 200)
        #expect(service.store.database.health.commitFailure == nil)
    }

    @Test func theTokenlessMetricsListenerMustBeOnLoopback() throws {
        let local = try ServerSettings.load(path: nil, environment: ["REHABSYNC_METRICS_LISTEN": "127.0.0.1:9464"])
        #expect(local.metricsListen == "127.0.0.1:9464")
        for outside in ["0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464", "metrics.example:9464"] {
            #expect(throws: SettingsError.self, "\(outside)") {
                try ServerSettings.load(path: nil, environment: ["REHABSYNC_METRICS_LISTEN": outside])
            }
        }
    }

    @Test func healthzIsAnsweredWithoutBlockingOnlyWhileTheDatabaseAnsweredRecently() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let router = router(service)
        let request = HTTPRequest(method: "GET", target: "/healthz")
        #expect(router.answerWithoutBlocking(request) == nil)
        #expect(send(router, "GET", "/healthz").status.code == 200)
        #expect(router.answerWithoutBlocking(request)?.status.code == 200)
        #expect(router.answerWithoutBlocking(HTTPRequest(method: "GET", target: "/readyz")) == nil)
    }

    @Test func metricsExposeTheConnectionLayersCounters() {
        let snapshot = HTTPServerStatistics.Snapshot(
            openConnections: 11_200, queuedRequests: 3, requestsInHandlers: 8, refused: ["max_connections": 2],
            rejections: ["header_timeout": 100, "bare_line_ending": 1], serviceUnavailableResponses: 2,
            acceptedConnections: 11_302, bufferedResponseBytes: 4_096)
        let text = ServerMetrics().exposition(openConflicts: 0, devicesByLastSeen: [], connections: snapshot)
        for line in ["rehabsync_connections_open 11200", "rehabsync_requests_queued 3", "rehabsync_requests_in_handlers 8",
                     #"rehabsync_connections_refused_total{reason="max_connections"} 2"#,
                     #"rehabsync_http_rejections_total{reason="header_timeout"} 100"#,
                     #"rehabsync_http_rejections_total{reason="bare_line_ending"} 1"#,
                     "rehabsync_http_503_total 2", "rehabsync_response_bytes_buffered 4096"] {
            #expect(text.contains(line + "\n"), "\(line)")
        }
    }

    @Test func dueSightingsReachTheTableWithoutTheEmptyPullWaitingForThem() throws {
        let scratch = try ServerScratch()
        let clock = Mutex(F.wall)
        let service = try SyncService(databasePath: scratch.path("server.sqlite"), reference: F.reference(),
                                      now: { clock.withLock { $0 } })
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        func storedLastSeen() throws -> Int64? {
            try service.store.read { queries in
                try queries.connection.prepare("SELECT last_seen_at FROM devices").firstRow { $0.isNull(at: 0) ? nil : $0.int64(at: 0) } ?? nil
            }
        }
        _ = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        #expect(try storedLastSeen() == nil)
        // A minute on, the next empty pull finds the batch due and hands it to the background.
        clock.withLock { $0 += 61_000 }
        _ = try service.pull(device: device, clinician: F.nurse, since: 0, limit: nil)
        let deadline = ContinuousClock.now + .seconds(5)
        while try storedLastSeen() == nil, ContinuousClock.now < deadline { usleep(2_000) }
        #expect(try storedLastSeen() == F.wall + 61_000)
    }

    @Test func theLoopbackMetricsListenerServesMetricsWithoutAToken() throws {
        let server = try LiveServerTests.Running { $0.metricsListen = "127.0.0.1:0" }
        let metricsPort = try #require(server.application.metricsHTTP?.boundPort)
        let local = try server.client.send("GET", "http://127.0.0.1:\(metricsPort)/metrics")
        #expect(local.status == 200)
        #expect(local.bodyText.contains("rehabsync_connections_open"))
        #expect(try server.client.send("GET", "http://127.0.0.1:\(metricsPort)/v1/admin/devices").status == 404)
        #expect(try server.client.send("GET", server.base + "/metrics").status == 401)
        #expect(try server.admin("GET", "/metrics").status == 200)
    }
}
