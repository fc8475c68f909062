import RehabSyncCore
import RehabSyncCrypto

/// The FHIR R4 payload of one delivery: a `collection` Bundle holding the reporting unit as
/// an `Organization` (its HSA-id under `urn:oid:1.2.752.29.4.19`) and one `MeasureReport`
/// (type `summary`, status `complete`) per measure. A suppressed count is left out and its
/// population carries the data-absent-reason extension with `masked`; a suppressed score is
/// a Quantity with only that extension. Everything in it is derived from its arguments, so
/// the same delivery always has the same bytes.
public struct RegisterBundle: Hashable, Sendable {
    public static let idempotencyKeySystem = "\(ExportMeasure.canonicalBase)/NamingSystem/idempotency-key"
    static let hsaSystem = "urn:oid:1.2.752.29.4.19"
    static let dataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
    static let populationSystem = "http://terminology.hl7.org/CodeSystem/measure-population"

    public let job: String
    public let unit: String
    public let period: ReportingPeriod
    public let revision: Int
    public let measures: [MeasureFigures]
    public let preparedAt: Int64

    public init(job: String, unit: String, period: ReportingPeriod, revision: Int, measures: [MeasureFigures], preparedAt: Int64) {
        self.job = job
        self.unit = unit
        self.period = period
        self.revision = revision
        self.measures = measures
        self.preparedAt = preparedAt
    }

    /// The idempotency key of (job, unit, period, revision), sent as `Idempotency-Key` and
    /// as `Bundle.identifier`.
    public static func idempotencyKey(job: String, unit: String, period: ReportingPeriod, revision: Int) -> String {
        "\(job)/\(unit)/\(period)/r\(revision)"
    }

    public var idempotencyKey: String { Self.idempotencyKey(job: job, unit: unit, period: period, revision: revision) }

    /// A UUID derived from the key, so entries have stable `urn:uuid:` addresses.
    func uuid(_ salt: String) -> String {
        var bytes = SHA256Digest.hash(Array((idempotencyKey + "#" + salt).utf8)).prefix(16).map { $0 }
        bytes[6] = bytes[6] & 0x0F | 0x50  // version 5-like: name-based
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        let hex = Hex.encode(bytes)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return "urn:uuid:" + parts.joined(separator: "-")
    }

    private static func codeable(_ system: String, _ code: String) -> JSONValue {
        .object(["coding": .array([.object(["system": .string(system), "code": .string(code)])])])
    }

    private static let masked: JSONValue = .array([.object(["url": .string(dataAbsentReason), "valueCode": .string("masked")])])

    /// The Bundle as a JSON value.
    public var json: JSONValue {
        let organizationURL = uuid("organization")
        let hsa: JSONValue = .object([
            "system": .string(Self.hsaSystem), "value": .string(unit),
            "type": Self.codeable("http://terminology.hl7.org/CodeSystem/v2-0203", "PRN"),
        ])
        let timestamp = JSONValue.string(InstantText.format(preparedAt))
        var entries: [JSONValue] = [.object([
            "fullUrl": .string(organizationURL),
            "resource": .object(["resourceType": .string("Organization"), "identifier": .array([hsa]), "active": .bool(true)]),
        ])]
        for figures in measures {
            let report: JSONValue = .object([
                "resourceType": .string("MeasureReport"),
                "identifier": .array([.object(["system": .string(Self.idempotencyKeySystem), "value": .string("\(idempotencyKey)/\(figures.measure.rawValue)")])]),
                "status": .string("complete"),
                "type": .string("summary"),
                "measure": .string(figures.measure.canonicalURL),
                "date": timestamp,
                "period": .object(["start": .string(period.firstDay.iso), "end": .string(period.lastDay.iso)]),
                "reporter": .object(["reference": .string(organizationURL), "type": .string("Organization"), "identifier": hsa]),
                "group": .array(figures.groups.map(Self.group)),
            ])
            entries.append(.object(["fullUrl": .string(uuid(figures.measure.rawValue)), "resource": report]))
        }
        return .object([
            "resourceType": .string("Bundle"),
            "identifier": .object(["system": .string(Self.idempotencyKeySystem), "value": .string(idempotencyKey)]),
            "type": .string("collection"),
            "timestamp": timestamp,
            "entry": .array(entries),
        ])
    }

    static func population(_ code: String, _ cell: MeasureFigures.Cell) -> JSONValue {
        var object: [String: JSONValue] = ["code": codeable(populationSystem, code)]
        switch cell {
        case .count(let count): object["count"] = .integer(Int64(count))
        case .masked: object["extension"] = masked
        }
        return .object(object)
    }

    static func group(_ group: MeasureFigures.Group) -> JSONValue {
        var object: [String: JSONValue] = [
            "code": codeable(UnitMonthFigures.groupSystem, group.code),
            "population": .array(group.populations.map { population($0.code, $0.cell) }),
        ]
        if !group.stratifiers.isEmpty {
            let totalCode = group.populations.first?.code ?? "initial-population"
            object["stratifier"] = .array(group.stratifiers.map { stratifier in
                .object([
                    "code": .array([codeable(UnitMonthFigures.groupSystem, stratifier.code)]),
                    "stratum": .array(stratifier.strata.map { stratum in
                        .object(["value": codeable(stratifier.system, stratum.value), "population": .array([population(totalCode, stratum.cell)])])
                    }),
                ])
            })
        }
        if let score = group.score {
            if let days = score.days {
                object["measureScore"] = .object(["value": .double(days), "unit": .string("d"), "system": .string("http://unitsofmeasure.org"), "code": .string("d")])
            } else if score.masked {
                object["measureScore"] = .object(["extension": masked])
            }
        }
        return .object(object)
    }

    /// The canonical bytes of ``json``: what is hashed, stored and sent.
    public var bytes: [UInt8] { json.canonicalBytes }
}
