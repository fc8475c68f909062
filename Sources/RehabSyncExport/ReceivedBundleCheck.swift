import RehabSyncCore

/// What the reference register checks in a delivery before accepting it: structure,
/// required elements, the idempotency key in both places, and that no small count slipped
/// through. Pure, so the rules are tested without a socket.
public enum ReceivedBundleCheck {
    /// A refusal: 400 for a request that is not a Bundle at all, 422 for a Bundle that breaks a rule.
    public struct Refusal: Error, Hashable, Sendable {
        public let status: Int
        public let code: String
        public let reason: String
    }

    /// The parts of an accepted Bundle's key.
    public struct Accepted: Hashable, Sendable {
        public let key: String
        public let unit: String
        public let period: String
        public let revision: Int
    }

    public static func check(body: [UInt8], idempotencyKey: String?, threshold: Int = 5) throws(Refusal) -> Accepted {
        guard let idempotencyKey, !idempotencyKey.isEmpty else {
            throw Refusal(status: 400, code: "missing_idempotency_key", reason: "send the delivery's key in the Idempotency-Key header")
        }
        guard let bundle = (try? JSONParser.parse(body))?.objectValue else {
            throw Refusal(status: 400, code: "malformed_json", reason: "the body is not a JSON object")
        }
        func refuse(_ reason: String) -> Refusal { Refusal(status: 422, code: "invalid_bundle", reason: reason) }
        guard bundle["resourceType"] == .string("Bundle") else { throw refuse("resourceType must be Bundle") }
        guard bundle["type"] == .string("collection") else { throw refuse("Bundle.type must be collection") }
        guard let key = bundle["identifier"]?.objectValue?["value"]?.stringValue else { throw refuse("Bundle.identifier.value is required") }
        guard key == idempotencyKey else { throw refuse("Bundle.identifier.value differs from the Idempotency-Key header") }
        let parts = key.split(separator: "/")
        guard parts.count == 4, parts[3].hasPrefix("r"), let revision = Int(parts[3].dropFirst()), revision >= 1 else {
            throw refuse("the idempotency key must be job/unit/YYYY-MM/rN")
        }
        guard bundle["timestamp"]?.stringValue != nil else { throw refuse("Bundle.timestamp is required") }
        guard let entries = bundle["entry"]?.arrayValue, !entries.isEmpty else { throw refuse("Bundle.entry must hold the reports") }
        var reports = 0
        for (index, entry) in entries.enumerated() {
            guard let resource = entry.objectValue?["resource"]?.objectValue else { throw refuse("entry[\(index)].resource is required") }
            switch resource["resourceType"]?.stringValue {
            case "Organization":
                guard resource["identifier"]?.arrayValue?.contains(where: { $0.objectValue?["system"] == .string("urn:oid:1.2.752.29.4.19") }) == true else {
                    throw refuse("entry[\(index)]: the Organization needs its HSA-id (urn:oid:1.2.752.29.4.19)")
                }
            case "MeasureReport":
                reports += 1
                try checkReport(resource, at: "entry[\(index)]", threshold: threshold)
            default:
                throw refuse("entry[\(index)]: only Organization and MeasureReport are accepted")
            }
        }
        guard reports > 0 else { throw refuse("the Bundle holds no MeasureReport") }
        return Accepted(key: key, unit: String(parts[1]), period: String(parts[2]), revision: revision)
    }

    static func checkReport(_ report: [String: JSONValue], at path: String, threshold: Int) throws(Refusal) {
        func refuse(_ reason: String) -> Refusal { Refusal(status: 422, code: "invalid_report", reason: "\(path): \(reason)") }
        guard report["status"] == .string("complete") else { throw refuse("status must be complete") }
        guard report["type"] == .string("summary") else { throw refuse("type must be summary") }
        guard report["measure"]?.stringValue?.hasPrefix("http") == true else { throw refuse("measure must be a canonical URL") }
        guard let period = report["period"]?.objectValue, period["start"]?.stringValue != nil, period["end"]?.stringValue != nil else {
            throw refuse("period needs start and end")
        }
        guard report["reporter"]?.objectValue != nil else { throw refuse("reporter is required") }
        guard let groups = report["group"]?.arrayValue, !groups.isEmpty else { throw refuse("group is required") }
        var populations: [JSONValue] = []
        for group in groups {
            populations += group.objectValue?["population"]?.arrayValue ?? []
            for stratifier in group.objectValue?["stratifier"]?.arrayValue ?? [] {
                for stratum in stratifier.objectValue?["stratum"]?.arrayValue ?? [] {
                    populations += stratum.objectValue?["population"]?.arrayValue ?? []
                }
            }
        }
        for population in populations {
            guard let object = population.objectValue else { throw refuse("a population must be an object") }
            if let count = object["count"] {
                guard let value = count.integerValue, value >= 0 else { throw refuse("a count must be a non-negative integer") }
                guard value == 0 || value >= Int64(threshold) else { throw refuse("a count from 1 to \(threshold - 1) must be suppressed") }
            } else if object["extension"]?.arrayValue?.isEmpty ?? true {
                throw refuse("a population without a count must say why (data-absent-reason)")
            }
        }
    }
}
