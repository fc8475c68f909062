import RehabSyncCore

/// A record as stored: its address, placement, the sequence number of its last change,
/// and the canonical bytes of its state. The bytes are kept as read so that a pull can
/// send them on without decoding and encoding again.
public struct StoredRecord: Hashable, Sendable {
    public let collection: String
    public let recordID: String
    public let patient: String?
    public let careUnits: [String]
    /// Grows with every change to any record of this replica; the pull cursor.
    public let sequence: Int64
    /// The canonical encoding of the state.
    public let stateBytes: [UInt8]

    public init(collection: String, recordID: String, patient: String?, careUnits: [String],
                sequence: Int64, stateBytes: [UInt8]) {
        self.collection = collection
        self.recordID = recordID
        self.patient = patient
        self.careUnits = careUnits
        self.sequence = sequence
        self.stateBytes = stateBytes
    }

    /// Decodes the state. Stored states were validated before they were written, so a
    /// failure here means the file was altered outside RehabSync.
    public func state() throws -> RecordState {
        do {
            return try RecordState(decoding: stateBytes)
        } catch {
            throw DatabaseError.misuse("stored state of \(collection)/\(recordID) is corrupt: \(error.code.rawValue)")
        }
    }
}

/// The address of a record.
public struct RecordKey: Hashable, Sendable, Comparable {
    public let collection: String
    public let recordID: String

    public init(collection: String, recordID: String) {
        self.collection = collection
        self.recordID = recordID
    }

    public static func < (lhs: RecordKey, rhs: RecordKey) -> Bool {
        (lhs.collection, lhs.recordID) < (rhs.collection, rhs.recordID)
    }
}

/// A state arriving from another replica, to be joined into ours.
public struct IncomingRecord: Sendable {
    public let key: RecordKey
    public let state: RecordState
    /// The state's bytes as they arrived, when they are exactly its canonical encoding
    /// (``JSONParser/readState(keepingCanonicalBytes:)``): a record new to the store is
    /// stored as these bytes instead of being encoded again.
    public let canonicalBytes: [UInt8]?

    public init(key: RecordKey, state: RecordState, canonicalBytes: [UInt8]? = nil) {
        self.key = key
        self.state = state
        self.canonicalBytes = canonicalBytes
    }
}

/// What a merge did to one record.
public struct MergeResult: Hashable, Sendable {
    public let key: RecordKey
    /// False when the incoming state added nothing (a repeated push or an echo).
    public let changed: Bool
    /// The record as stored after the merge.
    public let record: StoredRecord
}
