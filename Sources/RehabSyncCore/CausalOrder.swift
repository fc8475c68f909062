/// How two version vectors relate: the outcome of comparing two causal histories.
public enum CausalOrder: Sendable, Hashable {
    /// Both have seen exactly the same writes.
    case equal
    /// The left side has seen a strict subset of what the right side has seen.
    case before
    /// The left side has seen a strict superset of what the right side has seen.
    case after
    /// Each has seen a write the other has not.
    case concurrent
}
