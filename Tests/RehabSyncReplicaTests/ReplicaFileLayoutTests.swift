import Foundation
import RehabSyncCore
import RehabSyncReplica
import RehabSyncStorage
import Testing

/// A device's file goes without the two indexes that serve only a server's pulls
/// (`records_by_seq`, `record_units_by_unit_seq`; migration 240).
struct ReplicaFileLayoutTests {
    typealias E2E = ReplicaEndToEndTests

    static let serverIndexes: Set<String> = ["records_by_seq", "record_units_by_unit_seq"]

    /// The statements a replica runs on `records` and `record_units` (its own, and those
    /// of the record store and its queries that a replica reaches), with their
    /// parameters bound to nothing: only their plans are asked for. (`count(*)` over all
    /// records, which a replica never asks, would scan `records_by_seq` as the smallest
    /// covering index, and the key index without it.)
    static let replicaStatements = [
        "SELECT id, patient, seq, state FROM records WHERE collection = ? AND record_id = ?",
        "SELECT id, seq FROM records WHERE collection = ? AND record_id = ?",
        "SELECT unit FROM record_units WHERE record = ? ORDER BY unit",
        "SELECT collection, record_id, patient, seq, state FROM records WHERE id = ?",
        "SELECT id FROM records ORDER BY collection, record_id",
        "SELECT collection, record_id, state FROM records ORDER BY collection, record_id",
        "SELECT id FROM records WHERE patient = ? AND (?2 IS NULL OR collection = ?2) ORDER BY collection, record_id",
        "SELECT count(*) FROM records WHERE in_conflict = 1",
        "SELECT id FROM records WHERE in_conflict = 1 ORDER BY seq",
        "SELECT collection, record_id, seq FROM records WHERE true",
        """
        SELECT p.collection, p.record_id, p.seq, r.state FROM pending p
        JOIN records r ON r.collection = p.collection AND r.record_id = p.record_id
        ORDER BY p.seq LIMIT ?
        """,
        "UPDATE records SET patient = ?, state = ?, seq = ?, in_conflict = ? WHERE id = ?",
        "UPDATE record_units SET seq = ? WHERE record = ?",
        "DELETE FROM record_units WHERE record = ? AND unit = ?",
        "DELETE FROM record_units WHERE record = ?",
        "DELETE FROM records WHERE id = ?",
    ]

    /// Gives a replica's file back the layout it had before migration 240: both indexes,
    /// and the schema version before it.
    static func makeOldLayout(_ replica: Replica) throws {
        try replica.store.database.write { connection in
            try connection.execute("""
                CREATE UNIQUE INDEX records_by_seq ON records (seq);
                CREATE INDEX record_units_by_unit_seq ON record_units (unit, seq);
                PRAGMA user_version = 230;
                """)
        }
    }

    static func indexes(_ replica: Replica) throws -> Set<String> {
        try replica.store.database.read { connection in
            Set(try connection.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").rows { try $0.requireText(at: 0) })
        }
    }

    static func plans(_ replica: Replica) throws -> [[String]] {
        try replica.store.database.write { connection in
            try replicaStatements.map { sql in
                try connection.prepare("EXPLAIN QUERY PLAN " + sql).rows { try $0.requireText(at: 3) }
            }
        }
    }

    @Test("a new device's file has neither of the server's pull indexes")
    func aNewFileLacksTheServerIndexes() throws {
        let world = try E2E.World(replicaCount: 1)
        let indexes = try Self.indexes(world.replicas[0])
        #expect(indexes.isDisjoint(with: Self.serverIndexes))
        #expect(indexes.contains("records_in_conflict"))
        let version = try world.replicas[0].store.database.read { try $0.pragmaInt("user_version") }
        #expect(version == Int64(Replica.schemaVersion))
    }

    @Test("no statement a device runs is planned through the dropped indexes, so dropping them changes no plan")
    func noReplicaStatementNeedsTheDroppedIndexes() throws {
        let world = try E2E.World(replicaCount: 1)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        try Self.makeOldLayout(world.replicas[0])
        let before = try Self.plans(world.replicas[0])
        for (sql, plan) in zip(Self.replicaStatements, before) {
            #expect(!Self.serverIndexes.contains { index in plan.contains { $0.contains(index) } }, "\(sql): \(plan)")
        }
        // Opening the file again migrates it; every plan stays what it was.
        let migrated = try Replica(path: path, reference: world.reference)
        #expect(try Self.indexes(migrated).isDisjoint(with: Self.serverIndexes))
        let after = try Self.plans(migrated)
        for (index, sql) in Self.replicaStatements.enumerated() {
            #expect(before[index] == after[index], "\(sql)")
        }
    }

    @Test("a file made before the indexes were dropped is migrated when opened and goes on syncing, with conflicts, listings and digests as before")
    func aMigratedFileKeepsWorking() throws {
        let world = try E2E.World(replicaCount: 2)
        let path = world.directory.appendingPathComponent("replica-0.sqlite").path
        let (old, other) = (world.replicas[0], world.replicas[1])
        for number in 0..<5 { try old.write(collection: "carePlans", id: "plan-\(number)", values: E2E.plan("Plan \(number)")) }
        _ = try old.sync()
        _ = try other.sync()
        try Self.makeOldLayout(old)
        #expect(try Self.indexes(old).isSuperset(of: Self.serverIndexes))

        let device = try Replica(path: path, reference: world.reference)
        #expect(try Self.indexes(device).isDisjoint(with: Self.serverIndexes))
        #expect(try device.store.database.read { try $0.pragmaInt("user_version") } == Int64(Replica.schemaVersion))
        #expect(try device.dump() == world.serverDump())
        // Concurrent edits of one field make a conflict; new records arrive from the other device.
        try device.write(collection: "carePlans", id: "plan-0", values: ["title": .string("Here")])
        try other.write(collection: "carePlans", id: "plan-0", values: ["title": .string("There")])
        for number in 5..<8 { try other.write(collection: "carePlans", id: "plan-\(number)", values: E2E.plan("Plan \(number)")) }
        _ = try other.sync()
        let report = try device.sync()
        #expect(report.digestMatches)
        #expect(report.conflicts == 1)
        #expect(try device.conflicts().map(\.recordID) == ["plan-0"])
        #expect(try device.record(collection: "carePlans", id: "plan-7") != nil)
        try device.resolve(collection: "carePlans", id: "plan-0", field: "title", value: .string("Agreed"))
        #expect(try device.sync().digestMatches)
        _ = try other.sync()
        #expect(try device.conflicts().isEmpty)
        #expect(try device.dump() == world.serverDump())
        #expect(try other.dump() == world.serverDump())
    }
}
