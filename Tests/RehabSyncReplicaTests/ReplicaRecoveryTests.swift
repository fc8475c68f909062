import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReplica
import Testing

struct ReplicaRecoveryTests {
    typealias E2E = ReplicaEndToEndTests

    @Test func aRecordTheServerRefusesIsSetAsideAndEverythingElseStillSyncs() throws {
        let world = try E2E.World(replicaCount: 2)
        // This device's KVÅ list knows a code the server's does not.
        let local = try KVACodeList(json: Array(#"{"version":"9999","codes":[{"code":"ZZ123"},{"code":"AW020"}]}"#.utf8), name: "local")
        let device = try Replica(path: world.directory.appendingPathComponent("replica-0.sqlite").path,
                                 reference: ReferenceData(kvaList: local, questionnaires: [], today: world.reference.today),
                                 retry: RetryPolicy(maximumAttempts: 1))
        try device.write(collection: "carePlans", id: "plan-1", values: E2E.plan("Plan"))
        try device.write(collection: "plannedInterventions", id: "int-1", values: [
            "patient": .string(E2E.patient), "careUnits": .array([.string(E2E.unit)]), "carePlan": .string("plan-1"),
            "kvaCode": .string("ZZ123"), "profession": .string("physiotherapist"), "format": .string("group"),
            "status": .string("planned"),
        ])
        try device.write(collection: "carePlans", id: "plan-2", values: E2E.plan("Plan 2"))
        try world.replicas[1].write(collection: "carePlans", id: "other", values: E2E.plan("From the other device"))
        _ = try world.replicas[1].sync()
        #expect { try device.sync() } throws: { error in
            guard case .refused(let status, let code, let message, _) = error as? ReplicaError else { return false }
            return status == 422 && code == "validation_failed" && message.contains("plannedInterventions/int-1")
        }
        #expect(try device.pendingCount() == 1)
        #expect(try device.record(collection: "carePlans", id: "other") != nil)
        let serverIDs = String(decoding: try world.serverDump(), as: UTF8.self)
        #expect(serverIDs.contains("plan-1") && serverIDs.contains("plan-2") && !serverIDs.contains("int-1"))
    }

    @Test func aReplicaCreatedAgainForTheSameDeviceNeverReusesADot() throws {
        let world = try E2E.World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        try world.replicas[0].write(collection: "carePlans", id: "p1", values: E2E.plan("Before"))
        _ = try world.replicas[0].sync()
        // The device is wiped and set up again with the same enrolment.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try Replica.create(path: path, server: "http://127.0.0.1:\(world.port)", token: world.tokens[0], clinician: "SE2321000016-N000")
        let again = try Replica(path: path, reference: world.reference)
        _ = try again.sync()
        try again.write(collection: "carePlans", id: "p1", values: ["title": .string("After")])
        _ = try again.sync()
        let stored = try #require(try world.server.service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) })
        #expect(try stored.state().provisionalValues["title"] == .string("After"))
        #expect(try again.dump() == world.serverDump())
    }
}
