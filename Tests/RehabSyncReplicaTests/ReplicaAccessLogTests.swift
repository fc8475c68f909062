import RehabSyncCore
import RehabSyncReplica
import Testing

/// Reads on a device are patient-data access: logged on the device, sent at the next
/// sync, and shown in the patient's extract on the server. Lookups by patient accept the
/// identifier as typed.
struct ReplicaAccessLogTests {
    typealias World = ReplicaEndToEndTests.World

    @Test func readsOnADeviceReachThePatientsExtractWithDeviceAndClinicianAtTheNextSync() throws {
        let world = try World(replicaCount: 2)
        let (writer, reader) = (world.replicas[0], world.replicas[1])
        try writer.write(collection: "carePlans", id: "p1", values: ReplicaEndToEndTests.plan("Plan"))
        _ = try writer.sync()
        _ = try reader.sync()

        #expect(try reader.readRecord(collection: "carePlans", id: "p1") != nil)
        #expect(try reader.listRecords(patient: "19121212-1212", clinician: "SE2321000016-N042").map(\.recordID) == ["p1"])
        // Nothing in conflict: nothing shown, nothing logged.
        #expect(try reader.reviewConflicts().isEmpty)
        #expect(try reader.pendingAccessLogCount() == 2)
        _ = try reader.sync()
        #expect(try reader.pendingAccessLogCount() == 0)

        let entries = try world.server.service.auditExtract(patient: ReplicaEndToEndTests.patient).objectValue?["entries"]?.arrayValue ?? []
        let deviceReads = entries.compactMap(\.objectValue).filter { $0["action"]?.stringValue?.hasPrefix("device-") == true }
        #expect(deviceReads.map { $0["action"] } == [.string("device-read"), .string("device-list")])
        #expect(deviceReads.map { $0["clinician"] } == [.string("SE2321000016-N001"), .string("SE2321000016-N042")])
        #expect(deviceReads.allSatisfy { $0["device"] == .string(reader.store.replicaID.description) && $0["record"] == .string("p1") })
        // A second sync sends nothing again.
        _ = try reader.sync()
        let again = try world.server.service.auditExtract(patient: ReplicaEndToEndTests.patient).objectValue?["entries"]?.arrayValue ?? []
        #expect(again.filter { $0.objectValue?["action"]?.stringValue?.hasPrefix("device-") == true }.count == 2)
        #expect(try world.server.service.verifyAudit().objectValue?["ok"] == .bool(true))
    }

    @Test func aPatientLookupFindsWhatTheCanonicalFormFindsAndAnInvalidIdentifierIsAnError() throws {
        let world = try World(replicaCount: 1)
        let replica = world.replicas[0]
        try replica.write(collection: "carePlans", id: "p1", values: ReplicaEndToEndTests.plan("Plan"))
        let canonical = try replica.list(patient: "191212121212").map(\.recordID)
        #expect(canonical == ["p1"])
        for spelling in ["19121212-1212", "121212+1212", " 191212121212 "] {
            #expect(try replica.list(patient: spelling).map(\.recordID) == canonical, "spelling \(spelling)")
        }
        for invalid in ["1212121213", "19121212ABCD", "19121212-1213"] {
            #expect(throws: ReplicaError.self) { try replica.list(patient: invalid) }
        }
    }
}
