import RehabSyncCore
import RehabSyncStorage

extension SyncService {
    /// The device a bearer token belongs to, checked against the replica instance that
    /// sent the request: a token bound to another instance is refused with 409, so two
    /// laptops never write under one replica id. The first instance to present the token
    /// binds it.
    public func authenticate(bearer token: String?, instance: String?) throws -> Device {
        var device = try authenticate(bearer: token)
        guard let instance else {
            if device.instance != nil { throw SyncError.instanceRequired }
            return device
        }
        try Self.checkInstanceFormat(instance)
        if let bound = device.instance {
            guard bound == instance else { throw SyncError.tokenInUse }
            return device
        }
        // Bound under the writer, after reading the binding again: of two instances that
        // present a fresh token at once, exactly one gets it.
        let bound = try store.write { _, connection -> String? in
            let current = try DeviceRegistry.device(device.replicaID, connection: connection)?.instance
            if current == nil { try DeviceRegistry.bind(device.replicaID, instance: instance, writer: nil, connection: connection) }
            return current ?? instance
        }
        guard bound == instance else { throw SyncError.tokenInUse }
        device.instance = instance
        return device
    }

    /// What a replica learns before its first write: the replica id to write as, the
    /// highest counter the server holds from it, and the server's time and allowed clock
    /// drift (the ceiling of its hybrid clock). Binds the token to `instance`; with
    /// `replace`, an instance takes over a token bound to another (a laptop replaced, a
    /// replica created again), and gets a fresh replica id so that nothing the old one
    /// wrote can be confused with its writes.
    public func hello(device: Device, instance: String, replace: Bool) throws -> JSONValue {
        try Self.checkInstanceFormat(instance)
        let time = now()
        // Every sync greets the server: when the token is already this instance's (as the
        // device was just read to authenticate it), the answer needs no write, and a sync
        // that brings nothing writes nothing.
        if device.instance == instance { return identityJSON(device, at: time) }
        let current = try store.write { _, connection -> Device in
            guard let fresh = try DeviceRegistry.device(device.replicaID, connection: connection) else { throw SyncError.unauthorized }
            if let bound = fresh.instance, bound != instance {
                guard replace else { throw SyncError.tokenInUse }
                try DeviceRegistry.bind(fresh.replicaID, instance: instance, writer: ReplicaID.random(), connection: connection)
                try audit.append(.rebindDevice, device: fresh.replicaID.description, subjects: [
                    AuditSubject(clinician: nil, units: fresh.units, patient: nil, collection: nil, recordID: fresh.replicaID.description),
                ], at: time, connection: connection)
            } else if fresh.instance == nil {
                try DeviceRegistry.bind(fresh.replicaID, instance: instance, writer: nil, connection: connection)
            }
            guard let bound = try DeviceRegistry.device(device.replicaID, connection: connection) else { throw SyncError.unauthorized }
            return bound
        }
        return identityJSON(current, at: time)
    }

    /// Gives the device a fresh replica id to write as. A replica whose file turned out to
    /// be an old copy (``push(device:body:sentMark:)`` answered `replica_behind`) moves its
    /// unacknowledged writes to it.
    ///
    /// - Parameter newInstance: The instance id the replica takes with the new replica id:
    ///   any other copy of its file then no longer matches the token.
    public func rotateWriter(device: Device, newInstance: String? = nil) throws -> JSONValue {
        if let newInstance { try Self.checkInstanceFormat(newInstance) }
        let time = now()
        let current = try store.write { _, connection -> Device in
            guard let instance = newInstance ?? device.instance else { throw SyncError.instanceRequired }
            try DeviceRegistry.bind(device.replicaID, instance: instance, writer: ReplicaID.random(), connection: connection)
            try audit.append(.rebindDevice, device: device.replicaID.description, subjects: [
                AuditSubject(clinician: nil, units: device.units, patient: nil, collection: nil, recordID: device.replicaID.description),
            ], at: time, connection: connection)
            guard let bound = try DeviceRegistry.device(device.replicaID, connection: connection) else { throw SyncError.unauthorized }
            return bound
        }
        return identityJSON(current, at: time)
    }

    private func identityJSON(_ device: Device, at time: Int64) -> JSONValue {
        .object([
            "replicaId": .string(device.writerID.description), "counter": .integer(device.counterMark),
            "serverTime": .integer(time), "maximumClockDriftMilliseconds": .integer(configuration.maximumClockDriftMilliseconds),
        ])
    }

    /// Instance ids are what a replica makes at init: 8 to 64 ASCII letters, digits or `-`.
    private static func checkInstanceFormat(_ instance: String) throws {
        let bytes = Array(instance.utf8)
        let allowed = bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
        guard (8...64).contains(bytes.count), allowed else {
            throw SyncError.badRequest("invalid_instance", "the replica instance is 8 to 64 letters, digits or '-'", field: SyncService.instanceHeader)
        }
    }

    /// The header in which a replica names its instance.
    public static let instanceHeader = "X-RehabSync-Instance"
    /// The header in which a replica says the highest counter it has ever sent.
    public static let sentMarkHeader = "X-RehabSync-Sent-Mark"
}
