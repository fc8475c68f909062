import Foundation
import RehabSyncCore
import RehabSyncStorage

/// A local write the server refused, kept with the server's reason: never lost, never
/// blocking the sync of other records. The clinician discards it or applies it again on
/// the record as it now stands.
public struct SetAsideWrite: Sendable, Hashable {
    public let id: Int64
    public let collection: String
    public let recordID: String
    public let patient: String?
    /// The fields the refused write set, with the values it gave them.
    public let values: [String: JSONValue]
    public let status: Int
    public let code: String
    public let message: String
    public let field: String?
    public let atMilliseconds: Int64

    /// This entry as stored under `id`.
    func numbered(_ id: Int64) -> SetAsideWrite {
        SetAsideWrite(id: id, collection: collection, recordID: recordID, patient: patient, values: values, status: status,
                      code: code, message: message, field: field, atMilliseconds: atMilliseconds)
    }

    public var json: JSONValue {
        .object([
            "setAsideId": .integer(id), "collection": .string(collection), "id": .string(recordID),
            "patient": patient.map(JSONValue.string) ?? .null, "values": .object(values),
            "status": .integer(Int64(status)), "code": .string(code), "message": .string(message),
            "field": field.map(JSONValue.string) ?? .null, "at": .integer(atMilliseconds),
        ])
    }
}

extension Replica {
    /// Sets a refused write aside: the record goes back to the server's copy (or away, if
    /// the server has none the device may see), and what the device had written is kept
    /// with the server's reason.
    func setAsideWrite(_ key: RecordKey, _ transport: SyncTransport, refusal: ReplicaError) throws -> SetAsideWrite {
        let serverState = try serverCopy(of: key, transport)
        let time = now()
        // Read, kept and replaced in one transaction: a write the clinician makes while
        // the server's copy is fetched is set aside with the rest, never overwritten.
        return try store.write { transaction, connection -> SetAsideWrite in
            guard let local = try transaction.queries.record(key) else {
                throw ReplicaError.notInitialised("record \(key.collection)/\(key.recordID) vanished while it was being set aside")
            }
            let values = Self.refusedValues(in: try local.state(), writtenBy: transaction.replicaID, notIn: serverState)
            let entry = SetAsideWrite(id: 0, collection: key.collection, recordID: key.recordID, patient: local.patient, values: values,
                                      status: refusal.status, code: refusal.code, message: refusal.message, field: refusal.field,
                                      atMilliseconds: time)
            let id = try Self.insert(entry, state: local.stateBytes, connection: connection)
            try transaction.replace(key, with: serverState)
            let clear = try connection.cachedStatement("DELETE FROM pending WHERE collection = ? AND record_id = ?")
            try clear.bind(key.collection, at: 1)
            try clear.bind(key.recordID, at: 2)
            try clear.execute()
            return entry.numbered(id)
        }
    }

    /// The device's own writes that the server does not hold: what was refused.
    static func refusedValues(in state: RecordState, writtenBy me: ReplicaID, notIn server: RecordState?) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for field in state.fields {
            var newest: FieldSibling?
            for sibling in field.siblings where sibling.dot.replica == me {
                if let server, server.context.contains(sibling.dot) { continue }
                if newest.map({ FieldSibling.provisionalOrder($0, sibling) }) ?? true { newest = sibling }
            }
            if let newest { values[field.name] = newest.value }
        }
        return values
    }

    static func insert(_ entry: SetAsideWrite, state: [UInt8], connection: Connection) throws -> Int64 {
        let insert = try connection.cachedStatement("""
            INSERT INTO set_aside (collection, record_id, patient, write_values, state, status, code, message, field, at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.bind(entry.collection, at: 1)
        try insert.bind(entry.recordID, at: 2)
        if let patient = entry.patient { try insert.bind(patient, at: 3) } else { try insert.bindNull(at: 3) }
        try insert.bind(JSONValue.object(entry.values).canonicalText, at: 4)
        try insert.bind(state, at: 5)
        try insert.bind(Int64(entry.status), at: 6)
        try insert.bind(entry.code, at: 7)
        try insert.bind(entry.message, at: 8)
        if let field = entry.field { try insert.bind(field, at: 9) } else { try insert.bindNull(at: 9) }
        try insert.bind(entry.atMilliseconds, at: 10)
        try insert.execute()
        return connection.lastInsertRowID
    }

    /// The server's state of a record, or nil when the device may not see it or there is none.
    private func serverCopy(of key: RecordKey, _ transport: SyncTransport) throws -> RecordState? {
        let body: [UInt8]
        do {
            body = try transport.send("GET", "/v1/records/\(key.collection)/\(key.recordID)")
        } catch {
            if error.status == 403 || error.status == 404 { return nil }
            throw error
        }
        guard let object = (try? JSONParser.parse(body))?.objectValue, let state = object["state"],
            let decoded = try? RecordState(json: state, path: "state")
        else { throw ReplicaError.unreachable("the server sent a malformed record") }
        return decoded
    }

    /// Writes the server refused and the device keeps, oldest first.
    public func setAsideWrites() throws -> [SetAsideWrite] {
        try store.read { queries in
            try queries.connection.cachedStatement("""
                SELECT id, collection, record_id, patient, write_values, status, code, message, field, at FROM set_aside ORDER BY id
                """).rows(nil) { row in
                SetAsideWrite(id: row.int64(at: 0), collection: try row.requireText(at: 1), recordID: try row.requireText(at: 2),
                              patient: row.text(at: 3),
                              values: (try? JSONParser.parse(try row.requireText(at: 4)))?.objectValue ?? [:],
                              status: Int(row.int64(at: 5)), code: try row.requireText(at: 6), message: try row.requireText(at: 7),
                              field: row.text(at: 8), atMilliseconds: row.int64(at: 9))
            }
        }
    }

    /// Drops a set-aside write for good.
    public func discardSetAside(_ id: Int64) throws {
        try takeSetAside(id)
    }

    /// Applies a set-aside write again, as a new write on the record as it now stands
    /// (validated as any write); it is then pending and goes with the next sync.
    @discardableResult
    public func reapplySetAside(_ id: Int64, author: String? = nil) throws -> StoredRecord {
        guard let entry = try setAsideWrites().first(where: { $0.id == id }) else {
            throw ReplicaError.invalid(code: "not_found", message: "no set-aside write with id \(id)", field: "id")
        }
        let stored = try write(collection: entry.collection, id: entry.recordID, values: entry.values, author: author)
        try takeSetAside(id)
        return stored
    }

    private func takeSetAside(_ id: Int64) throws {
        try store.database.write { connection in
            let delete = try connection.cachedStatement("DELETE FROM set_aside WHERE id = ?")
            try delete.bind(id, at: 1)
            try delete.execute()
            guard connection.changes > 0 else {
                throw ReplicaError.invalid(code: "not_found", message: "no set-aside write with id \(id)", field: "id")
            }
        }
    }
}
