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
        // The refusal does not fail the sync: the write is set aside with the reason.
        let report = try device.sync()
        let aside = try #require(report.setAside.first)
        #expect(report.setAside.count == 1)
        #expect(aside.status == 422 && aside.code == "validation_failed" && aside.message.contains("plannedInterventions/int-1"))
        #expect(aside.values["kvaCode"] == .string("ZZ123"))
        #expect(try device.setAsideWrites().map(\.recordID) == ["int-1"])
        #expect(try device.pendingCount() == 0)
        // The server never had the record, so the device's copy goes with the set-aside write.
        #expect(try device.record(collection: "plannedInterventions", id: "int-1") == nil)
        #expect(report.digestMatches)
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
        // The token is bound to the wiped file's instance: taking it over must be explicit.
        #expect { try Replica.create(path: path, server: "http://127.0.0.1:\(world.port)", token: world.tokens[0], clinician: "SE2321000016-N000") }
            throws: { ($0 as? ReplicaError)?.description.contains("token_in_use") == true }
        #expect(!FileManager.default.fileExists(atPath: path))
        try Replica.create(path: path, server: "http://127.0.0.1:\(world.port)", token: world.tokens[0], clinician: "SE2321000016-N000",
                           replace: true)
        let again = try Replica(path: path, reference: world.reference)
        _ = try again.sync()
        try again.write(collection: "carePlans", id: "p1", values: ["title": .string("After")])
        _ = try again.sync()
        let stored = try #require(try world.server.service.store.read { try $0.record(.init(collection: "carePlans", recordID: "p1")) })
        #expect(try stored.state().provisionalValues["title"] == .string("After"))
        #expect(try again.dump() == world.serverDump())
    }
}
