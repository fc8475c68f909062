import RehabSyncCore
import Synchronization

/// The record database of one replica (a device or the server): record states with
/// their placement and change sequence, and the replica's own counter and clock.
///
/// Writes go through ``write(_:)`` (one `BEGIN IMMEDIATE` transaction, durable on return
/// with `synchronous=FULL`); reads through ``read(_:)`` on a read-only connection that
/// sees one snapshot.
public final class RecordStore: Sendable {
    /// The underlying database, for layers that keep their own tables in the same file
    /// (so that, for example, an audit entry commits together with the write it logs).
    public let database: DatabasePool
    /// The replica this database writes as. Given when the file is created; it changes
    /// only when the replica takes a new identity (``RecordTransaction/reidentify(as:counter:)``),
    /// which a replica restored from an old copy of its file must do.
    public var replicaID: ReplicaID { identity.withLock { $0 } }
    private let identity: Mutex<ReplicaID>
    /// Internal, not private: the batch preparation (`RecordStore+Batch.swift`) places new records by it.
    let placement: RecordPlacement.Rule
    private let placementReads: CanonicalFieldNames?
    /// Whether this file answers "what changed since N for unit U", as a server's does by
    /// the sequence number each unit row carries: true when it has the index that query
    /// reads. A device's file dropped it (the replica's migration 240), and there a unit
    /// row keeps the sequence number it was inserted with when its record changes, which
    /// saves rewriting the row (a delete and an insert in its B-tree) at every join.
    let servesUnitPulls: Bool

    /// Opens or creates a record database.
    ///
    /// - Parameters:
    ///   - path: The SQLite file.
    ///   - replicaID: The id to give a new database. Ignored for an existing one, whose id
    ///     never changes; if nil, a new database gets a random id.
    ///   - placement: How a record's patient and care units follow from its state.
    ///   - placementReads: Every field `placement` reads, if known. A state holding only
    ///     these fields (and its context) must be placed as the whole state is, and the
    ///     rule must read nothing but their siblings, so that two states alike in these
    ///     fields are placed alike. Then a received state joins a stored one on their
    ///     bytes (``CanonicalJoin``), decoding only these fields and only when the join
    ///     changed them, so the rule must stay the same for the life of the file (a new rule
    ///     needs a migration that places every record again). Nil (the default, safe for
    ///     any rule) always decodes whole states.
    ///   - extraMigrations: Migrations of layers above (server, replica client) that keep
    ///     tables in the same file; their versions follow the record schema's.
    public init(
        path: String, replicaID: ReplicaID? = nil,
        placement: @escaping RecordPlacement.Rule = RecordPlacement.fromFields, placementReads: Set<String>? = nil,
        configuration: DatabaseConfiguration = .init(), extraMigrations: [Migration] = []
    ) throws {
        database = try DatabasePool(path: path, configuration: configuration,
                                    migrator: Migrator(Self.migrator.migrations + extraMigrations))
        self.placement = placement
        self.placementReads = placementReads.map(CanonicalFieldNames.init)
        let newID = (replicaID ?? ReplicaID.random()).description
        let (replicaID, servesUnitPulls) = try database.write { connection in
            let insert = try connection.cachedStatement("""
                INSERT INTO replica (singleton, replica_id, counter, hlc_milliseconds, hlc_logical, sequence)
                VALUES (1, ?, 0, 0, 0, 0) ON CONFLICT (singleton) DO NOTHING
                """)
            try insert.bind(newID, at: 1)
            try insert.execute()
            // Read from the file, not chosen by whoever opens it: a file keeps the index of
            // a unit's changes exactly when it serves them (a device's drops it).
            let serves = try connection.cachedStatement(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'record_units_by_unit_seq')")
            return (try RecordQueries(connection: connection).clockState().replicaID, try serves.firstRow { $0.int64(at: 0) != 0 } ?? true)
        }
        identity = Mutex(replicaID)
        self.servesUnitPulls = servesUnitPulls
    }

    /// Runs `body` in one write transaction; everything it does commits together, or
    /// nothing does if it throws.
    ///
    /// - Parameter deferringSync: Commit without waiting for the disk
    ///   (``DatabasePool/writeDeferringSync(_:)``): only for what may be lost whole on
    ///   power loss and fetched again.
    public func write<T: Sendable>(deferringSync: Bool = false,
                                   _ body: (inout RecordTransaction, Connection) throws -> T) throws -> T {
        if deferringSync {
            return try database.writeDeferringSync { try transact($0, body) }
        }
        return try database.write { try transact($0, body) }
    }

    private func transact<T>(_ connection: Connection, _ body: (inout RecordTransaction, Connection) throws -> T) throws -> T {
        var transaction = try RecordTransaction(connection: connection, placement: placement, placementReads: placementReads,
                                                servesUnitPulls: servesUnitPulls)
        let result = try body(&transaction, connection)
        try transaction.finish()
        let replicaID = transaction.replicaID
        identity.withLock { $0 = replicaID }
        return result
    }

    /// Commits a write that changes nothing (the replica row rewritten as it is), to learn
    /// whether the database can commit now; its outcome lands in ``DatabasePool/health``.
    /// Costs one page in the WAL.
    public func probeCommit() throws {
        try database.write { connection in
            try connection.execute("UPDATE replica SET sequence = sequence WHERE singleton = 1")
        }
    }

    /// Works out the merge of `incoming` against what `queries` sees (a reader's snapshot,
    /// or a transaction's), for ``RecordTransaction/apply(_:)`` to store later.
    public func prepareMerge(_ incoming: IncomingRecord, queries: RecordQueries) throws -> PreparedMerge {
        try PreparedMerge(incoming, queries: queries, rule: placement)
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: (RecordQueries) throws -> T) throws -> T {
        try database.read { connection in try body(RecordQueries(connection: connection)) }
    }
}
