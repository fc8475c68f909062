/// One field of a collection: what it holds and whether a new record must set it.
public struct FieldRule: Sendable {
    public let kind: FieldKind
    /// A new record must set this field (to something other than null).
    public let requiredOnCreate: Bool

    public init(_ kind: FieldKind, required: Bool = false) {
        self.kind = kind
        requiredOnCreate = required
    }
}
