extension RecordState {
    /// The part of this state that a writer whose causal context is `context` had seen:
    /// the siblings whose dots that context holds, under the history both share.
    ///
    /// Rules that depend on history (a completed assessment is immutable, a handover only
    /// moves forward) are checked against this, not against the join: a write made
    /// without knowing of the completing write is concurrent with it, and becomes a
    /// conflict rather than a refusal.
    public func seen(by context: VersionVector) -> RecordState {
        var result = RecordState()
        result.context = self.context.meet(with: context)
        result.fields = fields.compactMap { field in
            let siblings = field.siblings.filter { context.contains($0.dot) }
            return siblings.isEmpty ? nil : Field(name: field.name, siblings: siblings)
        }
        return result
    }
}
