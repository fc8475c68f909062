import RehabSyncCore

/// A state from another replica as it arrived in a pull: decoded, or, when it came as
/// exactly its canonical bytes, checked without decoding (``CanonicalState``), so that a
/// record this replica does not hold yet is stored from those bytes as they are.
public struct ReceivedRecord: Sendable {
    /// The state in the form it was read.
    public enum State: Sendable {
        case decoded(RecordState)
        case canonical(CanonicalState)
    }

    public let key: RecordKey
    public let state: State

    public init(key: RecordKey, state: State) {
        self.key = key
        self.state = state
    }
}
