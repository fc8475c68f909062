/// One row of the delivery ledger: a report for (job, unit, period, revision), its stored
/// payload and how its delivery stands.
public struct ExportDelivery: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        /// Stored, not yet acknowledged by the register.
        case pending
        /// The register answered 200 or 201.
        case delivered
        /// The register refused it with a 4xx; kept with its answer for a person to read.
        case failed
    }

    public let id: Int64
    public let job: String
    public let unit: String
    public let period: ReportingPeriod
    public let revision: Int
    public let idempotencyKey: String
    public let figuresHash: String
    public let payload: [UInt8]
    public let payloadHash: String
    public let state: State
    public let httpStatus: Int?
    public let answer: String?
    public let createdAt: Int64
    public let deliveredAt: Int64?
}
