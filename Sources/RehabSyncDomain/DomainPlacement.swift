import RehabSyncCore

/// Which patient a record is about and which care units may see it, following PDL's
/// inner secrecy: only units taking part in the patient's care.
///
/// - Most records name their units in `careUnits`.
/// - A handover is seen by both the sending and the receiving unit.
/// - A referral is seen by the referring and the receiving unit.
///
/// A care plan that a handover sends also becomes visible to the receiving unit; that
/// depends on other records, so the server adds it (see the sync server's placement).
public enum DomainPlacement {
    /// Every field the placement reads; a state holding only these (and its context) is
    /// placed as the whole state is. A replica decodes just these of a pulled record it
    /// stores as received (``CanonicalState/partial``).
    public static let fieldsRead: Set<String> = ["patient", "careUnits", "sendingUnit", "receivingUnit", "referringUnit"]

    public static func patient(of state: RecordState) -> String? {
        state["patient"]?.provisional.value.stringValue
    }

    public static func careUnits(collection: String, state: RecordState) -> [String] {
        func unit(_ name: String) -> [String] {
            state[name]?.provisionalValue.stringValue.map { [$0] } ?? []
        }
        switch CollectionName.named(collection) {
        case .handovers: return unit("sendingUnit") + unit("receivingUnit")
        case .referrals: return unit("referringUnit") + unit("receivingUnit")
        default: return state["careUnits"]?.provisionalValue.arrayValue?.compactMap(\.stringValue) ?? []
        }
    }
}
