import Foundation
import RehabSyncCore
import RehabSyncServer
import RehabSyncStorage
import Testing

/// "Bad input leaves the stored data untouched", compared: a filled store's dump and
/// audit head before and after each bad request, byte for byte.
struct UntouchedStoreTests {
    typealias F = ServerFixtures
    typealias Running = LiveServerTests.Running

    /// Everything a bad request could have changed: the dump of every record (read from
    /// the file, as the admin dump route would itself add an audit entry), the audit head,
    /// and the number of write entries.
    struct Snapshot: Equatable {
        let dump: [UInt8]
        let auditHead: [UInt8]
        let writeEntries: Int64
    }

    static func snapshot(_ server: Running) throws -> Snapshot {
        try server.application.service.store.read { queries in
            let connection = queries.connection
            var dump = CanonicalWriter()
            for record in try queries.allRecords() {
                RecordEnvelope.write(collection: record.collection, id: record.recordID, sequence: record.sequence, state: record.stateBytes, to: &dump)
                dump.append(UInt8(ascii: "\n"))
            }
            return Snapshot(
                dump: dump.bytes,
                auditHead: try connection.prepare("SELECT last_id || ' ' || last_hash FROM audit_head").firstRow(nil) { $0.blob(at: 0) } ?? [],
                writeEntries: try connection.prepare("SELECT count(*) FROM audit WHERE action = 'write'").firstRow(nil) { $0.int64(at: 0) } ?? -1)
        }
    }

    @Test func everyBadInputLeavesTheDumpAndTheAuditHeadByteIdenticalAndLogsNoWrite() throws {
        // One worker: a request answered on a new connection proves the bad one before it
        // was dealt with completely.
        let server = try Running { $0.workers = 1 }
        let (replica, token) = try server.enrol(F.unitA)
        let (otherReplica, _) = try server.enrol(F.unitB)
        // Fill the store: plans the bad inputs could touch.
        let stored = try (0..<5).map { ("carePlans", "p\($0)", try F.state(F.plan(title: "Plan \($0)"), replica: replica, counter: Int64($0 + 1))) }
        #expect(try server.device("POST", "/v1/sync/push", token: token, body: F.body(stored)).status == 200)
        let before = try Self.snapshot(server)
        #expect(before.dump.count > 0 && before.writeEntries == 1)

        let valid = ("carePlans", "p9", try F.state(F.plan(title: "New"), replica: replica, counter: 10))
        let edit = try F.state(["title": .string("Changed")], replica: replica, counter: 11, base: stored[0].2)
        let push = { (records: [(String, String, RecordState)]) in F.body(records) }
        let farAhead = try RecordState().applying(F.plan(title: "Future"), stamp: stamp(replica, 12, wall: F.wall + 86_400_000))
        let bodies: [(String, [UInt8])] = [
            ("malformed JSON", Array(#"{"records":[{"collection":"carePlans","id":"p0","state":"#.utf8)),
            ("duplicate key", Array(#"{"records":[],"records":[]}"#.utf8)),
            ("a valid record and a malformed state in one batch",
             Array(#"{"records":[{"collection":"carePlans","id":"p9","state":\#(valid.2.canonicalText)},{"collection":"carePlans","id":"p8","state":{"context":{}}}]}"#.utf8)),
            ("an edit and a record breaking a domain rule", push([("carePlans", "p0", edit),
                                                                 ("carePlans", "bad", try F.state(["title": .string("no patient")], replica: replica, counter: 13))])),
            ("an edit and a record outside the device's units", push([("carePlans", "p0", edit),
                                                                      ("carePlans", "foreign", try F.state(F.plan(units: [F.unitB]), replica: replica, counter: 14))])),
            ("a write claimed for another replica", push([("carePlans", "p0", edit),
                                                          ("carePlans", "forged", try F.state(F.plan(), replica: otherReplica, counter: 1))])),
            ("a clock a day ahead", push([("carePlans", "p0", edit), ("carePlans", "future", farAhead)])),
            ("an unknown collection", push([("unknownThings", "x", valid.2)])),
        ]
        for (name, body) in bodies {
            let answer = try server.device("POST", "/v1/sync/push", token: token, body: body)
            #expect((400..<500).contains(answer.status), "\(name): \(answer.status)")
            #expect(try Self.snapshot(server) == before, "\(name) changed the store or the audit log")
        }
        // Bad HTTP: framing the parser refuses, and a body cut short by a closed connection.
        let head = "POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
        let full = push([("carePlans", "p0", edit)])
        let requests: [(String, String)] = [
            ("both framings", head + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc"),
            ("a folded header", head + " folded\r\nContent-Length: 2\r\n\r\n{}"),
            ("a body shorter than its length", head + "Content-Length: \(full.count)\r\nConnection: close\r\n\r\n"
                + String(decoding: full.prefix(full.count / 2), as: UTF8.self)),
        ]
        for (name, request) in requests {
            let socket = try RawSocket(port: Int(server.base.split(separator: ":").last ?? "0") ?? 0)
            try socket.send(Array(request.utf8))
            if name.hasPrefix("a body shorter") { socket.close() } else { _ = socket.receiveUntilClosed(timeout: 5) }
            #expect(try server.device("GET", "/healthz", token: token).status == 200)
            #expect(try Self.snapshot(server) == before, "\(name) changed the store or the audit log")
        }
        // And the same edit, well formed, is stored: the comparison can see a change.
        #expect(try server.device("POST", "/v1/sync/push", token: token, body: full).status == 200)
        #expect(try Self.snapshot(server) != before)
    }

    @Test func aServerWhoseClockIsAnHourBehindRefusesTheFixturesStatesAsTooFarAheadAndStoresNothing() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch, now: { F.wall - 3_600_000 })
        let (device, _) = try service.enrol(name: "Laptop", units: [F.unitA])
        #expect(throws: SyncError.self) {
            try service.push(device: device, body: F.body([("carePlans", "p1", try F.state(F.plan(), replica: device.replicaID))]))
        }
        #expect(try service.store.read { try $0.count() } == 0)
    }
}
