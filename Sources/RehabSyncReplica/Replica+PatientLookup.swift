import RehabSyncDomain

extension Replica {
    /// The stored form of a patient identifier asked for: the same normalisation a write
    /// applies, so `19121212-1212` finds what `191212121212` finds. An identifier that is
    /// none is an error, never an empty answer that would read as "no such records".
    func patientKey(_ text: String) throws -> String {
        do { return try validator().reference.patientIdentifier(text).canonical } catch {
            throw ReplicaError.invalid(code: error.rule, message: error.message, field: "patient")
        }
    }
}
