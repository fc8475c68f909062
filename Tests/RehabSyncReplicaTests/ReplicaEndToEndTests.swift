import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncDomain
import RehabSyncHTTP
import RehabSyncReferenceFiles
import RehabSyncReplica
import RehabSyncServer
import Testing

/// Three replicas and the real server on loopback.
struct ReplicaEndToEndTests {
    static let unit = "SE2321000016-A001"
    static let patient = "191212121212"
    static let root = TestExecutables.repositoryRoot

    final class World {
        private let scratch: TemporaryDirectory
        var directory: URL { scratch.url }
        var server: ServerApplication
        var port: Int
        let reference: ReferenceData
        var replicas: [Replica] = []
        var tokens: [String] = []

        init(replicaCount: Int = 3) throws {
            scratch = try TemporaryDirectory(prefix: "rehabsync-e2e")
            reference = try ReferenceDataFiles.load(
                kvaDirectory: root.appendingPathComponent("Config/kva").path,
                questionnaireDirectory: root.appendingPathComponent("Config/questionnaires").path,
                today: CivilDate.swedishToday(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000)))
            server = try Self.startServer(directory: scratch.url, port: 0)
            port = server.http.boundPort ?? 0
            for index in 0..<replicaCount {
                let (_, token) = try server.service.enrol(name: "device \(index)", units: [unit])
                tokens.append(token)
                let path = directory.appendingPathComponent("replica-\(index).sqlite").path
                try Replica.create(path: path, server: "http://127.0.0.1:\(port)", token: token, clinician: "SE2321000016-N00\(index)")
                replicas.append(try Replica(path: path, reference: reference,
                                            clientOptions: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 20),
                                            retry: RetryPolicy(maximumAttempts: 2, initialDelaySeconds: 0.05, maximumDelaySeconds: 0.1)))
            }
        }

        static func startServer(directory: URL, port: Int) throws -> ServerApplication {
            var settings = try ServerSettings.load(path: root.appendingPathComponent("Config/rehabsync.json").path, environment: [:])
            settings.port = port
            settings.dataDirectory = directory.appendingPathComponent("server").path
            let application = try ServerApplication(settings: settings, logger: Logger(label: "e2e", minimumLevel: .critical))
            try application.start()
            return application
        }

        func stopServer() {
            server.stop(gracePeriod: .seconds(1))
            server.http.waitUntilStopped()
            server.finish()
        }

        /// Starts the server again on a port of its own choosing: the old one may have been
        /// taken by another test meanwhile. The devices are given the new address.
        func restartServer() throws {
            server = try Self.startServer(directory: directory, port: 0)
            port = server.http.boundPort ?? 0
            for replica in replicas {
                try replica.store.database.write { connection in
                    try connection.prepare("UPDATE sync_settings SET server = ? WHERE singleton = 1").execute([.text("http://127.0.0.1:\(port)")])
                }
            }
        }

        func serverDump() throws -> [UInt8] { try server.service.adminDump(unit: unit) }

        deinit {
            stopServer()
        }
    }

    static func plan(_ title: String) -> [String: JSONValue] {
        ["patient": .string(patient), "careUnits": .array([.string(unit)]), "title": .string(title), "status": .string("draft")]
    }

    @Test func offlineEditsOnThreeReplicasConvergeWhateverTheSyncOrder() throws {
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            let world = try World()
            for (index, replica) in world.replicas.enumerated() {
                for number in 0..<3 { try replica.write(collection: "carePlans", id: "plan-\(index)-\(number)", values: Self.plan("Plan \(index)")) }
                try replica.write(collection: "carePlans", id: "shared", values: Self.plan("Shared by \(index)"))
            }
            // Everyone syncs in the given order, twice round, so every write reaches everyone.
            for _ in 0..<2 { for index in order { _ = try world.replicas[index].sync() } }
            let reference = try world.serverDump()
            #expect(reference.filter { $0 == 0x0A }.count == 10, "order \(order)")
            for replica in world.replicas {
                #expect(try replica.dump() == reference, "order \(order)")
                #expect(try replica.pendingCount() == 0)
                #expect(try replica.settings().lastDigestMatch == true)
            }
        }
    }

    @Test func concurrentEditsToDifferentFieldsMergeAndToTheSameFieldConflictUntilOneResolution() throws {
        let world = try World()
        let (a, b, c) = (world.replicas[0], world.replicas[1], world.replicas[2])
        try a.write(collection: "carePlans", id: "p1", values: Self.plan("Plan"))
        for replica in world.replicas { _ = try replica.sync() }
        try a.write(collection: "carePlans", id: "p1", values: ["needLevel": .string("särskilda")])
        try b.write(collection: "carePlans", id: "p1", values: ["contactNurse": .string("SE2321000016-N009")])
        try b.write(collection: "carePlans", id: "p1", values: ["summary": .string("från B")])
        try c.write(collection: "carePlans", id: "p1", values: ["summary": .string("från C")])
        for _ in 0..<2 { for replica in world.replicas { _ = try replica.sync() } }
        for replica in world.replicas {
            let state = try #require(try replica.record(collection: "carePlans", id: "p1")).state()
            #expect(state.provisionalValues["needLevel"] == .string("särskilda"))
            #expect(state.provisionalValues["contactNurse"] == .string("SE2321000016-N009"))
            #expect(state.conflictingFields.map(\.name) == ["summary"])
            #expect(Set(state["summary"]?.siblings.map(\.value) ?? []) == [.string("från B"), .string("från C")])
        }
        try a.resolve(collection: "carePlans", id: "p1", field: "summary", value: .string("överenskommet"))
        for _ in 0..<2 { for replica in world.replicas { _ = try replica.sync() } }
        for replica in world.replicas {
            let state = try #require(try replica.record(collection: "carePlans", id: "p1")).state()
            #expect(!state.isInConflict)
            #expect(state.provisionalValues["summary"] == .string("överenskommet"))
            #expect(try replica.dump() == world.serverDump())
        }
    }

    @Test func aSyncWhileTheServerIsDownFailsAsUnreachableAndTheNextCompletesWithNothingLostOrDuplicated() throws {
        let world = try World(replicaCount: 2)
        let (a, b) = (world.replicas[0], world.replicas[1])
        for number in 0..<30 { try a.write(collection: "carePlans", id: "p\(number)", values: Self.plan("Plan \(number)")) }
        world.stopServer()
        #expect { try a.sync() } throws: { error in
            if case .unreachable = error as? ReplicaError { return true }
            return false
        }
        #expect(try a.pendingCount() == 30)
        try world.restartServer()
        let report = try a.sync()
        #expect(report.pushed == 30)
        _ = try b.sync()
        #expect(try b.dump() == a.dump())
        #expect(try world.serverDump() == a.dump())
        #expect(try world.server.service.store.read { try $0.count() } == 30)
    }

    @Test func aRevokedDeviceGetsAClearErrorAndKeepsItsLocalData() throws {
        let world = try World(replicaCount: 1)
        let replica = world.replicas[0]
        try replica.write(collection: "carePlans", id: "p1", values: Self.plan("Plan"))
        _ = try world.server.service.revoke(replica.store.replicaID.description)
        #expect { try replica.sync() } throws: { error in
            guard case .refused(let status, _, _, _) = error as? ReplicaError else { return false }
            return status == 401 && "\(error)".contains("revoked")
        }
        #expect(try replica.record(collection: "carePlans", id: "p1") != nil)
        #expect(try replica.pendingCount() == 1)
    }

    @Test func aLocalWriteIsReadBackThroughTheFileByANewReplicaAndRefusedWritesStoreNothing() throws {
        let world = try World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        try world.replicas[0].write(collection: "carePlans", id: "p1", values: Self.plan("Plan"))
        #expect(throws: ReplicaError.self) {
            try world.replicas[0].write(collection: "carePlans", id: "p2", values: ["title": .string("no patient")])
        }
        let reopened = try Replica(path: path, reference: world.reference)
        #expect(try reopened.list().map(\.recordID) == ["p1"])
        #expect(try reopened.pendingCount() == 1)
    }
}
