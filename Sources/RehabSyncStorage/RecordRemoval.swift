/// A record that left a care unit at a change sequence number: the unit's devices no
/// longer see it unless another of their units still does.
public struct RecordRemoval: Hashable, Sendable {
    public let sequence: Int64
    public let key: RecordKey

    public init(sequence: Int64, key: RecordKey) {
        self.sequence = sequence
        self.key = key
    }
}
