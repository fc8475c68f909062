import RehabSyncCore

extension RecordStore {
    /// What a restored record database now starts from.
    public struct RestoreMark: Sendable, Hashable {
        /// The fresh replica id its own writes will carry.
        public let replicaID: ReplicaID
        /// The last change sequence number counted as handed out.
        public let sequence: Int64
    }

    /// The floor a restored database's change sequence is raised to: the wall clock in
    /// milliseconds times 1,000.
    ///
    /// Devices hold cursors (and the server's counter its dots) from a future the backup
    /// never saw. The floor is above every sequence number handed out before: before the
    /// first restore numbers count changes one by one and stay far below it, and after a
    /// restore they start at that time's floor and could only overtake a later restore's
    /// floor by committing more than 1,000 changes per millisecond in between, twenty times
    /// what the push benchmark reaches. It stays below 2^53 (a JSON-safe integer) until
    /// the year 2255.
    public static func sequenceFloor(unixMilliseconds: Int64) -> Int64 {
        unixMilliseconds * 1_000
    }

    /// Marks the record database at `path`, just copied from a backup, as restored: a new
    /// replica id with its counter at 0, so no dot it hands out can equal one handed out
    /// after the backup was taken, and the change sequence raised to at least `floor`, so
    /// every change from now on sorts after every cursor a device may hold.
    ///
    /// Runs on a connection of its own, before any server opens the file.
    public static func markRestored(path: String, sequenceFloor floor: Int64) throws -> RestoreMark {
        let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 5_000)
        let replica = ReplicaID.random()
        return try connection.inTransaction(.immediate) {
            let update = try connection.prepare("UPDATE replica SET replica_id = ?, counter = 0, sequence = max(sequence, ?) WHERE singleton = 1")
            try update.bind(replica.description, at: 1)
            try update.bind(floor, at: 2)
            try update.execute()
            guard connection.changes == 1 else {
                throw DatabaseError.misuse("\(path) is not a RehabSync record database (no replica row)")
            }
            let sequence = try connection.prepare("SELECT sequence FROM replica WHERE singleton = 1").firstRow(nil) { $0.int64(at: 0) } ?? floor
            return RestoreMark(replicaID: replica, sequence: sequence)
        }
    }
}
