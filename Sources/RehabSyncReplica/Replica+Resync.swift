import RehabSyncStorage

extension Replica {
    /// Prepares this device for a server restored from a backup: every record it holds
    /// becomes pending, so that its next syncs hand the server back the writes made after
    /// the backup was taken (acknowledged then, lost with the server's disk since).
    ///
    /// Pushing a record the server already has changes nothing there, so this costs one
    /// push of the whole replica and loses nothing. The cursor stays: a restored server
    /// numbers its changes past every cursor handed out before. A record holding another
    /// device's lost write is refused until that device has pushed it; it stays pending and
    /// goes on a later sync.
    ///
    /// - Returns: How many records became pending.
    @discardableResult
    public func resyncAfterServerRestore() throws -> Int {
        try store.database.write { connection in
            // `WHERE true` lets SQLite tell the upsert's ON CONFLICT from a join constraint.
            try connection.execute("""
                INSERT INTO pending (collection, record_id, seq)
                SELECT collection, record_id, seq FROM records WHERE true ON CONFLICT DO NOTHING
                """)
            return connection.changes
        }
    }
}
