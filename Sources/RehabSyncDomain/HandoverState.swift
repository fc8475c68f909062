import RehabSyncCore

/// The states of an active handover, in the only order they may be passed through.
/// The sender keeps responsibility until the receiver confirms contact with the patient.
public enum HandoverState: String, CaseIterable, Sendable, Comparable {
    case initiated
    case received
    case contactConfirmed

    public static func < (lhs: HandoverState, rhs: HandoverState) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!  // Safe because both are cases.
    }

    /// The state a handover record is in: the most advanced of its status siblings.
    /// Two replicas confirming the same state concurrently agree; a state once reached is
    /// never undone by a concurrent write that had not seen it.
    public static func of(_ state: RecordState) -> HandoverState? {
        state["status"]?.siblings.compactMap { $0.value.stringValue.flatMap(HandoverState.init(rawValue:)) }.max()
    }

    /// The unit responsible for the patient: the sender until contact is confirmed.
    public static func responsibleUnit(of state: RecordState) -> String? {
        let values = state.provisionalValues
        if of(state) == .contactConfirmed {
            return values["receivingUnit"]?.stringValue
        }
        return values["sendingUnit"]?.stringValue
    }
}
