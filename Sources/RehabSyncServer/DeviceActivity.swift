import RehabSyncCore
import RehabSyncStorage
import Synchronization

/// When each device was last seen and how far it has pulled, kept in memory and written to
/// the devices table in batches. A device syncing every few seconds with nothing new would
/// otherwise cost a write transaction, with its fsync, per empty pull; now an empty pull
/// touches no disk at all.
///
/// Pending values are flushed inside a write that happens anyway (a pull that delivers
/// records), or on their own once ``flushInterval`` has passed or ``flushCount`` devices
/// wait, and at shutdown. Readers of the table (the device overview, `/metrics`) see the
/// pending values laid over it. A crash loses at most ``flushInterval`` of last-seen times
/// and cursors, which are information for administrators, never used for sync.
final class DeviceActivity: Sendable {
    struct Seen: Sendable, Hashable {
        var at: Int64
        var cursor: Int64?
    }

    private struct State {
        var pending: [ReplicaID: Seen] = [:]
        var lastFlush: Int64?
    }

    /// Longest time a sighting waits in memory, in milliseconds. One minute.
    static let flushInterval: Int64 = 60_000
    /// Most devices waiting before a flush.
    static let flushCount = 256

    private let state = Mutex(State())

    /// Notes a sighting; returns whether a flush is due.
    func note(_ replica: ReplicaID, cursor: Int64?, at now: Int64) -> Bool {
        state.withLock { state in
            var seen = state.pending[replica] ?? Seen(at: now, cursor: cursor)
            seen.at = max(seen.at, now)
            if let cursor { seen.cursor = max(seen.cursor ?? cursor, cursor) }
            state.pending[replica] = seen
            let last = state.lastFlush ?? now
            if state.lastFlush == nil { state.lastFlush = now }
            return state.pending.count >= Self.flushCount || now - last >= Self.flushInterval
        }
    }

    /// Writes every pending sighting inside the caller's write transaction. If that
    /// transaction rolls back, the sightings are lost: they are only administrative.
    func flush(at now: Int64, connection: Connection) throws {
        let pending = state.withLock { state in
            defer {
                state.pending = [:]
                state.lastFlush = now
            }
            return state.pending
        }
        for (replica, seen) in pending {
            try DeviceRegistry.touch(replica, cursor: seen.cursor, at: seen.at, connection: connection)
        }
    }

    /// `devices` as read from the table, with pending sightings laid over them.
    func overlay(_ devices: [Device]) -> [Device] {
        let pending = state.withLock { $0.pending }
        guard !pending.isEmpty else { return devices }
        return devices.map { device in
            guard let seen = pending[device.replicaID] else { return device }
            return Device(replicaID: device.replicaID, name: device.name, units: device.units,
                          enrolledAtMilliseconds: device.enrolledAtMilliseconds,
                          revokedAtMilliseconds: device.revokedAtMilliseconds,
                          lastSeenMilliseconds: max(device.lastSeenMilliseconds ?? seen.at, seen.at),
                          cursor: max(device.cursor, seen.cursor ?? device.cursor), instance: device.instance,
                          writerID: device.writerID, counterMark: device.counterMark)
        }
    }
}
