import Foundation
import RehabSyncCore
import RehabSyncExport
import Testing

/// The FHIR payload: what a dry run prints, what suppression leaves in it, and whether an
/// independent FHIR implementation (fhir.resources, R4B models) accepts it.
struct RegisterPayloadTests {
    typealias F = ExportFixtures
    static let february = ReportingPeriod("2026-02")!

    /// The venv python `.ci/run` exports; nil when the tool is not installed.
    static let python: String? = ProcessInfo.processInfo.environment["REHABSYNC_FHIR_PYTHON"].flatMap {
        FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
    }
    static let requireIntegration = ProcessInfo.processInfo.environment["REHABSYNC_REQUIRE_INTEGRATION"] == "1"

    /// Every measure with something in it at unit A, and a few small counts at unit B.
    static func richMonth(_ harness: DeliveryHarness) throws {
        let store = harness.service.store
        for number in 0..<7 {
            try F.intervention(store, "xv019-\(number)", patient: number, code: "XV019", date: "2026-02-0\(number + 1)", profession: "nurse")
            try F.intervention(store, "dv-\(number)", patient: number, code: "DV111", date: "2026-02-1\(number)", profession: "dietitian")
            try F.write(store, "handovers", "h\(number)", [
                "patient": .string(F.patient(number)), "sendingUnit": .string(F.unitA), "receivingUnit": .string(F.unitB),
                "carePlan": .string("plan-\(number)"), "summary": .string("Free text that must not leave the server"), "status": .string("initiated"),
            ], wall: F.utc(2026, 2, 2))
            try F.write(store, "handovers", "h\(number)", ["status": .string("contactConfirmed")], wall: F.utc(2026, 2, 5 + number))
            try F.write(store, "referrals", "r\(number)", [
                "patient": .string(F.patient(number)), "referrer": .string(F.nurse), "referringUnit": .string(F.unitB),
                "receivingUnit": .string(F.unitA), "decision": .string("accepted"), "received": .string("2026-01-1\(number)"),
                "decided": .string("2026-02-01"), "firstContact": .string("2026-02-0\(number + 1)"),
            ])
        }
        for number in 0..<3 {
            try F.intervention(store, "b-\(number)", patient: 50 + number, code: "AW019", date: "2026-02-12", unit: F.unitB)
        }
    }

    static func payload(_ harness: DeliveryHarness) throws -> [UInt8] {
        RegisterExporter.payloadJSON(try harness.exporter().dryRun(job: F.job, period: february)).canonicalBytes
    }

    @Test func aDryRunPrintsOneBundlePerUnitWithEveryMeasureAndSendsNothing() throws {
        let harness = try DeliveryHarness()
        try Self.richMonth(harness)
        let bundles = try harness.exporter().dryRun(job: F.job, period: Self.february)
        #expect(bundles.map(\.unit) == [F.unitA, F.unitB])
        let json = try #require(bundles.first?.json.objectValue)
        #expect(json["identifier"]?.objectValue?["value"] == .string("\(F.job)/\(F.unitA)/2026-02/r1"))
        let entries = try #require(json["entry"]?.arrayValue)
        #expect(entries.count == 1 + ExportMeasure.allCases.count)
        let report = try #require(entries[1].objectValue?["resource"]?.objectValue)
        #expect(report["type"] == .string("summary"))
        #expect(report["status"] == .string("complete"))
        #expect(report["period"] == .object(["start": .string("2026-02-01"), "end": .string("2026-02-28")]))
        #expect(harness.receiver.answers.isEmpty)
        let ledger = try harness.service.store.read { try ExportLedger(connection: $0.connection).deliveries(job: F.job) }
        #expect(ledger.isEmpty)
    }

    @Test func noPersonalIdentifierAndNoFreeTextLeaveTheServer() throws {
        let harness = try DeliveryHarness()
        try Self.richMonth(harness)
        let text = String(decoding: try Self.payload(harness), as: UTF8.self)
        #expect(!text.contains("Free text"))
        #expect(!text.contains(F.patient(0)))
        #expect(!text.contains(String(F.patient(0).dropFirst(2))))
        #expect(!text.contains("plan-0"))
    }

    @Test func smallCountsAndATotalThatWouldRevealOneAreSuppressed() throws {
        let harness = try DeliveryHarness(february: false)
        let store = harness.service.store
        // 12 performed interventions: 3 AW019 and 9 DV111. Showing 12 and 9 would reveal 3.
        for number in 0..<3 { try F.intervention(store, "aw-\(number)", patient: number, code: "AW019", date: "2026-02-03") }
        for number in 0..<9 { try F.intervention(store, "dv-\(number)", patient: 10 + number, code: "DV111", date: "2026-02-04", profession: "dietitian") }
        let bundle = try #require(try harness.exporter().dryRun(job: F.job, period: Self.february).first)
        let interventions = try #require(bundle.measures.first { $0.measure == .interventions })
        let group = interventions.groups[0]
        #expect(group.populations[0].cell == .count(12))
        let byCode = try #require(group.stratifiers.first { $0.code == "kva-code" })
        #expect(byCode.strata.map(\.cell) == [.masked, .masked])
        // By profession: 3 physiotherapist, 9 dietitian: the same protection.
        let byProfession = try #require(group.stratifiers.first { $0.code == "profession" })
        #expect(byProfession.strata.map(\.cell) == [.masked, .masked])
        let needs = try #require(bundle.measures.first { $0.measure == .needsAssessment })
        #expect(needs.groups.first { $0.code == "AW019" }?.populations[0].cell == .masked)
        // In the JSON a masked count is absent and says why.
        let text = String(decoding: bundle.bytes, as: UTF8.self)
        #expect(text.contains(#""extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]"#))
        #expect(!text.contains(#""count":3"#))
        #expect(!text.contains(#""count":9"#))
    }

    @Test func theReceiverRefusesAnUnsuppressedSmallCount() {
        let bundle = RegisterBundle(job: F.job, unit: F.unitA, period: Self.february, revision: 1, measures: [
            MeasureFigures(measure: .rehabilitationPlan, groups: [.init(code: "AW020", populations: [.init(code: "initial-population", cell: .count(3))])]),
        ], preparedAt: F.utc(2026, 3, 20))
        #expect(throws: ReceivedBundleCheck.Refusal.self) {
            _ = try ReceivedBundleCheck.check(body: bundle.bytes, idempotencyKey: bundle.idempotencyKey)
        }
    }

    /// Runs `.ci/fhir-check.py` on a file; returns its exit status and output.
    static func validate(_ bytes: [UInt8], python: String, scratch: ExportScratch) throws -> (Int32, String) {
        let file = scratch.path("payload.json")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let result = try F.runProcess(URL(fileURLWithPath: python),
                                      [ExportJobTests.repository.appendingPathComponent(".ci/fhir-check.py").path, file])
        return (result.status, result.output + result.errors)
    }

    @Test(.enabled(if: python != nil || requireIntegration, "needs REHABSYNC_FHIR_PYTHON from .ci/fhir-venv.sh"))
    func thePayloadPassesAnIndependentFHIRValidatorAndABrokenOneDoesNot() throws {
        let python = try #require(Self.python, "REHABSYNC_REQUIRE_INTEGRATION=1 but REHABSYNC_FHIR_PYTHON is missing")
        let harness = try DeliveryHarness()
        try Self.richMonth(harness)
        let payload = try Self.payload(harness)
        let (status, output) = try Self.validate(payload, python: python, scratch: harness.scratch)
        #expect(status == 0, "\(output)")
        // Two bundles, each with an Organization and eight MeasureReports.
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "20")

        // fhir.resources checks structure, cardinality and types (not value-set codes), so
        // each broken copy breaks one of those: a required element gone, a count as text,
        // an element R4 does not have.
        let text = String(decoding: payload, as: UTF8.self)
        for broken in [
            text.replacingOccurrences(of: #""status":"complete","#, with: ""),
            text.replacingOccurrences(of: #""count":7"#, with: #""count":"seven""#),
            text.replacingOccurrences(of: #""count":0"#, with: #""total":0"#),
        ] {
            #expect(broken != text)
            let (badStatus, badOutput) = try Self.validate(Array(broken.utf8), python: python, scratch: harness.scratch)
            #expect(badStatus != 0)
            #expect(badOutput.contains("invalid"))
        }
    }
}
