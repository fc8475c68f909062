import RehabSyncStorage

/// The push route's decoding of a request body, on its own: for fuzz targets and tools
/// that check a body without a database.
public enum PushBodyDecoder {
    /// Decodes `bytes` as `POST /v1/sync/push` does before anything is stored.
    ///
    /// - Throws: The ``SyncError`` the route would answer with (400, 413 or 422).
    public static func decode(_ bytes: [UInt8], maximumRecords: Int) throws(SyncError) -> [IncomingRecord] {
        try PushBatch(json: bytes, maximumRecords: maximumRecords).records
    }
}
