import RehabSyncCore
import RehabSyncCrypto
import RehabSyncStorage

/// Enrolment, revocation and authentication of devices. A device's token is shown once at
/// enrolment; only the SHA-256 of its secret part is stored, and it is compared in
/// constant time.
///
/// Token form: `rs1.<replicaId>.<64 hex digits>`. The replica id lets the server find the
/// device without comparing the secret against every stored hash.
enum DeviceRegistry {
    static let tokenPrefix = "rs1."

    static func enrol(name: String, units: [String], at now: Int64, connection: Connection) throws -> (Device, String) {
        let replica = ReplicaID.random()
        let secret = try Hex.encode(SecureRandom.bytes(32))
        let insert = try connection.cachedStatement(
            "INSERT INTO devices (replica_id, name, units, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)")
        try insert.bind(replica.description, at: 1)
        try insert.bind(name, at: 2)
        try insert.bind(JSONValue.array(units.sorted().map(JSONValue.string)).canonicalText, at: 3)
        try insert.bind(BearerToken.hash(secret), at: 4)
        try insert.bind(now, at: 5)
        try insert.execute()
        let device = Device(replicaID: replica, name: name, units: units.sorted(), enrolledAtMilliseconds: now,
                            revokedAtMilliseconds: nil, lastSeenMilliseconds: nil, cursor: 0, writerID: replica)
        return (device, "\(tokenPrefix)\(replica).\(secret)")
    }

    /// Marks a device revoked; its token stops working on the next request.
    static func revoke(_ replica: ReplicaID, at now: Int64, connection: Connection) throws -> Device? {
        let update = try connection.cachedStatement(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE replica_id = ?")
        try update.bind(now, at: 1)
        try update.bind(replica.description, at: 2)
        try update.execute()
        return try device(replica, connection: connection)
    }

    /// The device a bearer token belongs to, if the token is valid and not revoked.
    static func authenticate(_ token: String, connection: Connection) throws -> Device? {
        guard token.hasPrefix(tokenPrefix) else { return nil }
        let parts = token.dropFirst(tokenPrefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let replica = ReplicaID(parts[0]) else { return nil }
        let statement = try connection.cachedStatement("SELECT token_hash FROM devices WHERE replica_id = ?")
        try statement.bind(replica.description, at: 1)
        guard let stored = try statement.firstRow(nil, { try $0.requireText(at: 0) }),
            BearerToken.matches(String(parts[1]), storedHash: stored),
            let device = try device(replica, connection: connection), device.revokedAtMilliseconds == nil
        else { return nil }
        return device
    }

    static func device(_ replica: ReplicaID, connection: Connection) throws -> Device? {
        let statement = try connection.cachedStatement(
            "SELECT replica_id, name, units, enrolled_at, revoked_at, last_seen_at, cursor, instance, writer, counter_mark FROM devices WHERE replica_id = ?")
        try statement.bind(replica.description, at: 1)
        return try statement.firstRow(nil) { try device(from: $0) }
    }

    static func all(connection: Connection) throws -> [Device] {
        try connection.cachedStatement(
            "SELECT replica_id, name, units, enrolled_at, revoked_at, last_seen_at, cursor, instance, writer, counter_mark FROM devices ORDER BY name, replica_id")
            .rows(nil) { try device(from: $0) }
    }

    /// Records that the device was seen, and the cursor it has pulled up to; never moves
    /// either back, since batched sightings may arrive after a later direct one.
    static func touch(_ replica: ReplicaID, cursor: Int64?, at now: Int64, connection: Connection) throws {
        let update = try connection.cachedStatement(
            "UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, ?1), ?1), cursor = max(cursor, coalesce(?2, cursor)) WHERE replica_id = ?3")
        try update.bind(now, at: 1)
        if let cursor { try update.bind(cursor, at: 2) } else { try update.bindNull(at: 2) }
        try update.bind(replica.description, at: 3)
        try update.execute()
    }

    /// Binds the device's token to a replica instance. With `writer`, the device also
    /// takes that replica id for its writes, starting from counter 0.
    static func bind(_ replica: ReplicaID, instance: String, writer: ReplicaID?, connection: Connection) throws {
        let update = try connection.cachedStatement("""
            UPDATE devices SET instance = ?, writer = coalesce(?, writer),
                counter_mark = CASE WHEN ? IS NULL THEN counter_mark ELSE 0 END
            WHERE replica_id = ?
            """)
        try update.bind(instance, at: 1)
        if let writer {
            try update.bind(writer.description, at: 2)
            try update.bind(writer.description, at: 3)
        } else {
            try update.bindNull(at: 2)
            try update.bindNull(at: 3)
        }
        try update.bind(replica.description, at: 4)
        try update.execute()
    }

    /// Raises the highest counter stored from the device's writer; never lowers it.
    static func raiseCounterMark(_ replica: ReplicaID, to counter: Int64, connection: Connection) throws {
        let update = try connection.cachedStatement(
            "UPDATE devices SET counter_mark = max(counter_mark, ?) WHERE replica_id = ?")
        try update.bind(counter, at: 1)
        try update.bind(replica.description, at: 2)
        try update.execute()
    }

    private static func device(from row: Statement) throws -> Device {
        guard let replica = ReplicaID(try row.requireText(at: 0)) else {
            throw DatabaseError.misuse("a device row has a malformed replica id")
        }
        let units = (try? JSONParser.parse(try row.requireText(at: 2)))?.arrayValue?.compactMap(\.stringValue) ?? []
        let writerText = row.text(at: 8)
        guard let writer = writerText.map({ ReplicaID($0) }) ?? replica else {
            throw DatabaseError.misuse("a device row has a malformed writer id")
        }
        return Device(replicaID: replica, name: try row.requireText(at: 1), units: units,
                      enrolledAtMilliseconds: row.int64(at: 3),
                      revokedAtMilliseconds: row.isNull(at: 4) ? nil : row.int64(at: 4),
                      lastSeenMilliseconds: row.isNull(at: 5) ? nil : row.int64(at: 5), cursor: row.int64(at: 6),
                      instance: row.text(at: 7), writerID: writer, counterMark: row.int64(at: 9))
    }
}
