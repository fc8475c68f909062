import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Synchronization

/// A fresh directory per test, removed when the test ends.
final class ExportScratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rehabsync-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let value: Mutex<Int64>

    init(_ start: Int64) { value = Mutex(start) }

    var now: Int64 { value.withLock { $0 } }
    func set(_ instant: Int64) { value.withLock { $0 = instant } }
    var function: @Sendable () -> Int64 { { [self] in now } }
}

/// The waits the exporter asked for, instead of sleeping them.
final class SleepLog: Sendable {
    private let waits = Mutex<[Int64]>([])
    var all: [Int64] { waits.withLock { $0 } }
    var function: @Sendable (Int64) -> Void { { [self] milliseconds in waits.withLock { $0.append(milliseconds) } } }
}

enum ExportFixtures {
    static let unitA = "SE2321000016-A001"
    static let unitB = "SE2321000016-B002"
    static let nurse = "SE2321000016-N003"
    static let job = "monthly-register-export"
    static let quiet = Logger(label: "test", minimumLevel: .critical)

    /// A valid personnummer per number: a birth date from 1950 on and a birth number, with
    /// the Luhn check digit over the ten-digit form.
    static func patient(_ number: Int) -> String {
        // Safe because 1950-01-01 plus a few thousand days is a real date.
        let birth = CivilDate.from(daysSinceEpoch: CivilDate(year: 1950, month: 1, day: 1)!.daysSinceEpoch + number / 900)!
        let digits = String(birth.iso.replacingOccurrences(of: "-", with: "").dropFirst(2)) + String(100 + number % 900)
        var sum = 0
        for (index, character) in digits.enumerated() {
            let product = (character.wholeNumberValue ?? 0) * (index % 2 == 0 ? 2 : 1)
            sum += product / 10 + product % 10
        }
        return "19" + digits + String((10 - sum % 10) % 10)
    }

    /// UTC milliseconds of a reading.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 12, _ minute: Int = 0) -> Int64 {
        // Safe because tests pass real dates.
        Int64(CivilDate(year: year, month: month, day: day)!.daysSinceEpoch) * 86_400_000 + Int64(hour * 3_600 + minute * 60) * 1_000
    }

    static func reference() throws -> ReferenceData {
        ReferenceData(kvaList: nil, questionnaires: [], today: CivilDate(year: 2026, month: 11, day: 23)!)
    }

    static func service(_ scratch: ExportScratch, now: @escaping @Sendable () -> Int64, path: String? = nil) throws -> SyncService {
        try SyncService(databasePath: path ?? scratch.path("server.sqlite"), reference: reference(), now: now)
    }

    /// Runs a program to completion: its exit status, standard output and standard error.
    static func runProcess(_ executable: URL, _ arguments: [String], directory: URL? = nil,
                           environment: [String: String]? = nil) throws -> (status: Int32, output: String, errors: String) {
        try TestExecutables.runProcess(executable, arguments, directory: directory, environment: environment)
    }

    static func targets(_ url: String, maxAttempts: Int = 4) -> [String: RegisterTarget] {
        var target = RegisterTarget(name: "national-register", url: url)
        target.maxAttempts = maxAttempts
        target.timeoutSeconds = 5
        target.connectTimeoutSeconds = 2
        return ["national-register": target]
    }

    static func exporter(_ store: RecordStore, url: String, clock: TestClock, sleep: SleepLog = SleepLog(), maxAttempts: Int = 4,
                         job: ExportJob = ExportJob(name: job),
                         afterAnswer: (@Sendable (ExportDelivery) throws -> Void)? = nil) throws -> RegisterExporter {
        try RegisterExporter(store: store, catalog: ExportJobCatalog(jobs: [job]), targets: targets(url, maxAttempts: maxAttempts),
                             logger: quiet, now: clock.function, sleep: sleep.function, jitter: { 0.5 }, afterAnswer: afterAnswer)
    }

    /// Writes one record as the server would hold it.
    @discardableResult
    static func write(_ store: RecordStore, _ collection: String, _ id: String, _ values: [String: JSONValue],
                      wall: Int64 = utc(2026, 2, 10)) throws -> StoredRecord {
        try store.write { transaction, _ in
            try transaction.write(RecordKey(collection: collection, recordID: id), values: values, author: nurse, wallMilliseconds: wall)
        }
    }

    /// A completed intervention performed on `date` by `profession`.
    static func intervention(_ store: RecordStore, _ id: String, patient: Int, code: String, date: String, unit: String = unitA,
                             profession: String = "physiotherapist", status: String = "completed") throws {
        try write(store, "plannedInterventions", id, [
            "patient": .string(Self.patient(patient)), "carePlan": .string("plan-\(patient)"), "careUnits": .array([.string(unit)]),
            "kvaCode": .string(code), "profession": .string(profession), "format": .string("individual"), "status": .string(status),
            "performedDate": .string(date),
        ])
    }

    /// Enough activity in February 2026 at unit A that nothing is suppressed by accident:
    /// `count` patients each with a performed AW019 and an established plan.
    static func february(_ store: RecordStore, count: Int = 6, unit: String = unitA) throws {
        for number in 0..<count {
            try intervention(store, "aw019-\(unit)-\(number)", patient: number, code: "AW019", date: "2026-02-1\(number % 9)", unit: unit)
            try write(store, "carePlans", "plan-\(unit)-\(number)", [
                "patient": .string(patient(number)), "careUnits": .array([.string(unit)]), "title": .string("Plan"),
                "status": .string("active"), "needLevel": .string(number % 2 == 0 ? "särskilda" : "grundläggande"),
                "established": .string("2026-02-0\(number % 9 + 1)"),
            ])
        }
    }

    /// A receiver on a free loopback port, with its Bundle URL.
    static func receiver(_ scratch: ExportScratch, name: String = "register") throws -> (RegisterReceiver, String) {
        let receiver = try RegisterReceiver(directory: scratch.path(name), port: 0, logger: quiet)
        let port = try receiver.start()
        return (receiver, "http://127.0.0.1:\(port)/fhir/Bundle")
    }
}

/// What most delivery tests start from: a scratch directory, a receiver on loopback, a
/// clock, and the server's database, optionally with February's activity at unit A.
final class DeliveryHarness {
    let scratch: ExportScratch
    let receiver: RegisterReceiver
    let url: String
    let clock: TestClock
    let service: SyncService

    init(at instant: Int64 = ExportFixtures.utc(2026, 3, 20, 1), february: Bool = true) throws {
        scratch = try ExportScratch()
        (receiver, url) = try ExportFixtures.receiver(scratch)
        clock = TestClock(instant)
        service = try ExportFixtures.service(scratch, now: clock.function)
        if february { try ExportFixtures.february(service.store) }
    }

    func exporter(sleep: SleepLog = SleepLog(), maxAttempts: Int = 4,
                  afterAnswer: (@Sendable (ExportDelivery) throws -> Void)? = nil) throws -> RegisterExporter {
        try ExportFixtures.exporter(service.store, url: url, clock: clock, sleep: sleep, maxAttempts: maxAttempts, afterAnswer: afterAnswer)
    }

    deinit { receiver.stop() }
}
