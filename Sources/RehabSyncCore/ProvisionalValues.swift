/// The value every replica shows for each field of a state, looked up by field name.
///
/// Domain rules read a handful of fields of every record a push brings; a view over the
/// state answers those lookups without building a dictionary of all its fields.
public struct ProvisionalValues: Sendable {
    public let state: RecordState

    public init(state: RecordState) {
        self.state = state
    }

    /// The provisional value of the field `name`; nil if no write has set it.
    public subscript(name: String) -> JSONValue? {
        state[name]?.provisional.value
    }
}
