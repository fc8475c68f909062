import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Synchronization

/// `export`: the register export's computation of one month over N stored records (10 per
/// patient: a care plan, six interventions, an assessment, a handover and a referral, over
/// twelve months and twenty units): one read snapshot, aggregation, suppression and the
/// FHIR Bundles, three times; the median is reported. Peak memory is measured over the
/// computation alone (the kernel's high-water mark is reset after loading), so it shows
/// what the export holds, not what loading cost.
struct ExportScenario {
    let records: Int
    let directory: URL
    static let units = (0..<20).map { "SE2321000016-U\(String(format: "%03d", $0))" }

    func run() throws -> BenchmarkReport {
        let path = directory.appendingPathComponent("export.sqlite").path
        let wall = Int64(Date().timeIntervalSince1970 * 1_000)
        let reference = ReferenceData(kvaList: nil, questionnaires: [], today: CivilDate.swedishToday(unixMilliseconds: wall))
        // A database kept from an earlier run (--keep DIR) is reused: loading takes far longer than computing.
        if FileManager.default.fileExists(atPath: path) {
            progress("reusing \(path)")
        } else {
            try load(into: SyncService(databasePath: path, reference: reference, now: { wall }).store, wall: wall)
        }
        progress("loaded \(records) records; computing 2025-06 three times")
        // A fresh handle, as `rehabsync export run` would open: the loader's caches are gone.
        let store = try SyncService(databasePath: path, reference: reference, now: { wall }).store
        let exporter = try RegisterExporter(store: store, catalog: ExportJobCatalog(jobs: [ExportJob(name: "monthly-register-export")]),
                                            targets: ["national-register": RegisterTarget(name: "national-register", url: "http://127.0.0.1:9/")],
                                            logger: Logger(label: "bench", minimumLevel: .critical), now: { wall })
        let baseline = Self.residentBytes()
        let anonymousBaseline = Self.statusBytes("RssAnon:")
        Self.resetPeakResident()
        // VmHWM counts the database pages SQLite maps (mmap), which are file cache, not what
        // the export holds; heap (RssAnon) has no high-water mark, so a thread samples it.
        let peakAnonymous = Mutex(anonymousBaseline)
        let sampling = Mutex(true)
        let sampler = Thread {
            while sampling.withLock({ $0 }) {
                let current = Self.statusBytes("RssAnon:")
                peakAnonymous.withLock { $0 = max($0, current) }
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
        sampler.start()
        var times: [Double] = []
        var bundles = 0
        let cpuBefore = processCPUSeconds()
        for _ in 0..<3 {
            times.append(try measure {
                let payload = try exporter.dryRun(job: "monthly-register-export", period: ReportingPeriod("2025-06")!)
                bundles = payload.count
                _ = RegisterExporter.payloadJSON(payload).canonicalBytes
            })
        }
        let cpu = (processCPUSeconds() - cpuBefore) / 3
        sampling.withLock { $0 = false }
        let plans = try measure {
            _ = try store.read { queries in
                var bytes = 0
                try queries.forEachRecord(in: "carePlans") { _, _, state in bytes += state.count }
                return bytes
            }
        }
        // The floor under the figure: reading every state from SQLite, decoding nothing.
        let scan = try measure {
            _ = try store.read { queries in
                var bytes = 0
                try queries.forEachRecord(in: "carePlans") { _, _, state in bytes += state.count }
                try queries.forEachRecord(excluding: "carePlans") { _, _, state in bytes += state.count }
                return bytes
            }
        }
        let median = times.sorted()[1]
        var report = BenchmarkReport(scenario: "export", records: records, seconds: median,
                                     recordsPerSecond: Double(records) / median, rawRecordsPerSecond: nil)
        report.extra = [
            ("median_seconds", median), ("min_seconds", times.min() ?? 0), ("max_seconds", times.max() ?? 0),
            ("cpu_seconds", cpu), ("read_only_seconds", scan), ("plans_read_seconds", plans), ("bundles", Double(bundles)),
            ("rss_before_compute_bytes", Double(baseline)),
            ("compute_peak_rss_growth_bytes", Double(max(0, BenchmarkReport.peakResidentBytes() - baseline))),
            ("heap_before_compute_bytes", Double(anonymousBaseline)),
            ("compute_peak_heap_growth_bytes", Double(max(0, peakAnonymous.withLock { $0 } - anonymousBaseline))),
        ]
        return report
    }

    /// Writes the records through the record store, 1,000 per transaction.
    func load(into store: RecordStore, wall: Int64) throws {
        let patients = max(1, records / 10)
        var written = 0
        var patient = 0
        while written < records {
            let batchEnd = min(patient + 100, patients)
            try store.write { transaction, _ in
                for number in patient..<batchEnd {
                    for (collection, id, values) in Self.recordsOfPatient(number) where written < records {
                        _ = try transaction.write(RecordKey(collection: collection, recordID: id), values: values,
                                                  author: "SE2321000016-N001", wallMilliseconds: wall)
                        written += 1
                    }
                }
            }
            patient = batchEnd
            if patient >= patients, written < records { patient = 0 }
            if written % 100_000 < 1_000 { progress("loaded \(written)") }
        }
    }

    /// Ten records of one patient, dated in one month of 2025 and placed in one of twenty units.
    static func recordsOfPatient(_ number: Int) -> [(String, String, [String: JSONValue])] {
        let month = number % 12 + 1
        let day = number % 28 + 1
        let date = String(format: "2025-%02d-%02d", month, day)
        let unit = JSONValue.string(units[number % units.count])
        let patient = JSONValue.string(String(format: "19%010d", 5_000_000_000 + number))
        let codes = ["AU010", "AW019", "AW020", "XV019", "XV020", "DV111"]
        let professions = ["nurse", "physiotherapist", "dietitian", "occupationalTherapist", "counsellor", "psychologist"]
        var records: [(String, String, [String: JSONValue])] = [("carePlans", "p\(number)", [
            "patient": patient, "careUnits": .array([unit]), "title": .string("Plan"), "status": .string("active"),
            "needLevel": .string(CollectionSchema.Vocabulary.needLevels[number % 4]), "established": .string(date),
        ])]
        for index in 0..<6 {
            records.append(("plannedInterventions", "i\(number)-\(index)", [
                "patient": patient, "carePlan": .string("p\(number)"), "careUnits": .array([unit]), "kvaCode": .string(codes[index]),
                "profession": .string(professions[(number + index) % professions.count]), "format": .string("individual"),
                "status": .string(index == 5 ? "planned" : "completed"), "performedDate": .string(date),
            ]))
        }
        records.append(("assessments", "a\(number)", [
            "patient": patient, "careUnits": .array([unit]), "questionnaire": .string("example-problem-areas"),
            "questionnaireVersion": .string("1"), "answers": .object(["fatigue": .integer(2)]), "timepoint": .string("treatmentStart"),
            "source": .string("patient"), "authored": .string(date + "T10:00:00+01:00"), "status": .string("completed"),
        ]))
        records.append(("handovers", "h\(number)", [
            "patient": patient, "sendingUnit": unit, "receivingUnit": .string(units[(number + 1) % units.count]),
            "carePlan": .string("p\(number)"), "summary": .string("Summary"), "status": .string("contactConfirmed"),
        ]))
        records.append(("referrals", "r\(number)", [
            "patient": patient, "referrer": .string("SE2321000016-N001"), "referringUnit": .string(units[(number + 3) % units.count]),
            "receivingUnit": unit, "decision": .string(number % 5 == 0 ? "declined" : "accepted"),
            "received": .string(String(format: "2025-%02d-01", month)), "decided": .string(date), "firstContact": .string(date),
        ]))
        return records
    }

    /// The current resident set size (VmRSS).
    static func residentBytes() -> Int { statusBytes("VmRSS:") }

    /// A size line of /proc/self/status (given in kB), in bytes.
    static func statusBytes(_ key: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(key) {
            return (Int(line.filter(\.isNumber)) ?? 0) * 1024
        }
        return 0
    }

    /// Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs), so the peak that
    /// follows belongs to the measured phase.
    static func resetPeakResident() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}
