import Foundation
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import Synchronization
import Testing

struct RefusalLoggingTests {
    typealias F = ServerFixtures

    /// The router logs on the request's thread, so lines are there when `handle` returns.
    final class Lines: Sendable {
        private let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
        var sink: Logger.Sink { Logger.Sink { [self] line in storage.withLock { $0.append(line) } } }
    }

    @Test func a403AndA409AreEachLoggedAsAWarningWithReplicaCodeAndRequestID() throws {
        let lines = Lines()
        let harness = try SyncRouterTests.Harness(logger: Logger(label: "sync", minimumLevel: .info, sink: lines.sink))
        let (replica, token) = try harness.enrol(F.unitA)
        let replicaID = try #require(ReplicaID(replica))
        let ownPlan = try F.state(F.plan(), replica: replicaID, counter: 2)
        #expect(harness.send("POST", "/v1/sync/push", token: token, body: F.body([("carePlans", "p1", ownPlan)])).status.code == 200)

        let foreign = try F.state(F.plan(units: [F.unitB]), replica: replicaID, counter: 3)
        #expect(harness.send("POST", "/v1/sync/push", token: token, body: F.body([("carePlans", "p2", foreign)])).status.code == 403)
        let later = try F.state(F.plan(), replica: replicaID, counter: 4)
        let behind = harness.send("POST", "/v1/sync/push", token: token, body: F.body([("carePlans", "p3", later)]),
                                  headers: [(SyncService.sentMarkHeader, "0")])
        #expect(behind.status.code == 409)

        let warnings = lines.all.filter { $0.split(separator: " ").dropFirst().first == "warning" }
        #expect(warnings.count == 2, "\(lines.all)")
        for (status, code) in [("403", "out_of_scope"), ("409", "replica_behind")] {
            let line = warnings.first { $0.contains("status=\(status)") }
            #expect(line?.contains("code=\(code)") == true, "\(warnings)")
            #expect(line?.contains("replica=\(replica)") == true, "\(warnings)")
            #expect(line?.contains("request_id=test-request") == true, "\(warnings)")
        }
    }

    @Test func aRefusalBeforeTheDeviceIsKnownIsLoggedWithAnUnknownReplica() throws {
        let lines = Lines()
        let harness = try SyncRouterTests.Harness(logger: Logger(label: "sync", minimumLevel: .info, sink: lines.sink))
        #expect(harness.send("GET", "/v1/sync/pull", token: "wrong", headers: [("X-Clinician", F.nurse)]).status.code == 401)
        let line = try #require(lines.all.first { $0.contains("request refused") })
        #expect(line.contains(" warning ") && line.contains("code=unauthorized") && line.contains("replica=unknown"))
    }

    @Test func aBadRequestIsNotLoggedAsARefusal() throws {
        let lines = Lines()
        let harness = try SyncRouterTests.Harness(logger: Logger(label: "sync", minimumLevel: .info, sink: lines.sink))
        let (_, token) = try harness.enrol(F.unitA)
        #expect(harness.send("GET", "/v1/sync/pull", token: token).status.code == 400)
        #expect(!lines.all.contains { $0.contains("request refused") })
    }
}
