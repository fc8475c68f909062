import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer

/// A real server on a loopback port for the `push` and `pull` scenarios, with devices
/// enrolled for their own care units, and valid care-plan states to send it.
struct LoopbackServer {
    let application: ServerApplication
    let base: String
    let client = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 5, totalTimeoutSeconds: 600))

    init(directory: URL) throws {
        var settings = try ServerSettings.load(path: nil, environment: [:])
        settings.port = 0
        settings.dataDirectory = directory.appendingPathComponent("server").path
        settings.workers = 8
        settings.queueCapacity = 64
        settings.maxPageSize = 10_000
        application = try ServerApplication(settings: settings, logger: Logger(label: "bench", minimumLevel: .warning))
        base = "http://127.0.0.1:\(try application.start())"
    }

    func stop() {
        application.stop(gracePeriod: .seconds(5))
        application.http.waitUntilStopped()
        application.finish()
    }

    struct Device {
        let replica: ReplicaID
        let token: String
        let unit: String
    }

    func enrol(unit: String) throws -> Device {
        try enrol(units: [unit])
    }

    /// A device enrolled for every unit of `units`; it writes into the first.
    func enrol(units: [String]) throws -> Device {
        try Self.enrol(units: units, client: client, base: base, adminToken: application.adminToken)
    }

    /// Enrols a device for `unit` through the admin API of the server at `base`.
    static func enrol(unit: String, client: CurlHTTPClient, base: String, adminToken: String) throws -> Device {
        try enrol(units: [unit], client: client, base: base, adminToken: adminToken)
    }

    /// Enrols a device for every unit of `units` (it writes into the first) through the
    /// admin API of the server at `base`.
    static func enrol(units: [String], client: CurlHTTPClient, base: String, adminToken: String) throws -> Device {
        let unit = units[0]
        let list = units.map { #""\#($0)""# }.joined(separator: ",")
        let response = try client.send("POST", base + "/v1/admin/devices", headers: ["Authorization": "Bearer \(adminToken)"],
                                       body: Array(#"{"name":"bench","units":[\#(list)]}"#.utf8))
        guard response.status == 201, let body = try JSONParser.parse(response.body).objectValue,
            let replica = body["replicaId"]?.stringValue.flatMap(ReplicaID.init), let token = body["token"]?.stringValue
        else { throw BenchFailure("enrolment failed: \(response.status) \(response.bodyText)") }
        return Device(replica: replica, token: token, unit: unit)
    }

    /// Pushes `count` new care plans written by `device`, in batches of 1,000: the data a
    /// scenario then measures something on.
    func load(_ count: Int, by device: Device) throws {
        let wall = Int64(Date().timeIntervalSince1970 * 1_000)
        var start = 0
        while start < count {
            let size = min(1_000, count - start)
            let response = try client.send("POST", base + "/v1/sync/push", headers: ["Authorization": "Bearer \(device.token)"],
                                           body: try Self.batch(device: device, start: start, count: size, wall: wall))
            guard response.status == 200 else { throw BenchFailure("loading failed: \(response.status) \(response.bodyText)") }
            start += size
        }
    }

    /// A valid personnummer for patient number `index` (Luhn over the 10-digit form).
    static func personnummer(_ index: Int) -> String {
        let day = 1 + index % 28
        let month = 1 + (index / 28) % 12
        let serial = 1 + (index / 336) % 998
        let body = String(format: "%02d%02d%02d%03d", 60 + index % 30, month, day, serial)
        var sum = 0
        for (offset, character) in body.enumerated() {
            let digit = Int(String(character)) ?? 0
            let product = digit * (offset % 2 == 0 ? 2 : 1)
            sum += product / 10 + product % 10
        }
        return "19" + body + String((10 - sum % 10) % 10)
    }

    /// Records per patient in the generated data: a patient's plan comes with goals,
    /// interventions and assessments, so a clinic's batch touches a few patients' records,
    /// not one patient per record.
    static let recordsPerPatient = 10

    /// The push body of one batch: `count` new care plans written by `device`.
    static func batch(device: Device, start: Int, count: Int, wall: Int64) throws -> [UInt8] {
        var writer = CanonicalWriter(capacity: count * 1_400)
        writer.append(#"{"records":["#)
        for index in start..<(start + count) {
            if index > start { writer.append(UInt8(ascii: ",")) }
            let state = try RecordState().applying([
                "patient": .string(personnummer(index / recordsPerPatient)), "careUnits": .array([.string(device.unit)]),
                "title": .string("Rehabiliteringsplan \(index)"),
                "summary": .string("Bedömning av rehabiliteringsbehov, mål och planerade åtgärder."),
                "status": .string("active"), "needLevel": .string("särskilda"), "contactNurse": .string("SE2321000016-N001"),
            ], stamp: WriteStamp(dot: Dot(replica: device.replica, counter: Int64(index + 1)),
                                 hlc: HLCTimestamp(milliseconds: wall, logical: Int64(index)), author: "SE2321000016-N001",
                                 wallMilliseconds: wall))
            writer.append(#"{"collection":"carePlans","id":"#)
            writer.appendString("plan-\(device.unit)-\(index)")
            writer.append(#","state":"#)
            state.write(to: &writer)
            writer.append(UInt8(ascii: "}"))
        }
        writer.append("]}")
        return writer.bytes
    }
}

/// A scenario that could not run.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
