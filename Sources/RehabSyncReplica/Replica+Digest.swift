import RehabSyncCore
import RehabSyncCrypto

extension Replica {
    /// SHA-256 of ``dump()`` in hex, as the server's digest route gives it, computed one
    /// record at a time: a device with hundreds of thousands of records checks its digest
    /// after every sync, and holding the whole dump for it is what made a first sync's
    /// memory grow with the number of records.
    public func dumpDigest() throws -> String {
        try store.read { queries in
            var hasher = SHA256Hasher()
            // One scan, each line written from SQLite's own buffers into one reused buffer.
            try queries.forEachDumpLine { hasher.update($0) }
            return SHA256Digest.hex(hasher.finalize())
        }
    }
}
