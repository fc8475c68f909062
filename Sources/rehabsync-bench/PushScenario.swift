import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncStorage
import Synchronization

/// `push`: N records pushed over loopback by 8 concurrent devices in batches of 1,000,
/// through the whole server (HTTP, validation, merge, audit, fsync), and in the same run
/// the raw SQLite insert of the same rows.
struct PushScenario {
    let records: Int
    let devices = 8
    let batchSize = 1_000
    let directory: URL

    func run() throws -> BenchmarkReport {
        let (seconds, cpuSeconds, rows) = try pushThroughServer()
        let total = rows.count
        // The server and its checkpointer have stopped: the yardstick gets the same machine.
        let raw = try RawInsert.yardsticks(rows: rows, batchSize: batchSize, directory: directory)
        var report = BenchmarkReport(scenario: "push", records: total, seconds: seconds,
                                     recordsPerSecond: Double(total) / seconds, rawRecordsPerSecond: Double(total) / raw.backgroundSeconds)
        report.extra = [("goal_ratio", Self.goalRatio), ("devices", Double(devices)), ("batch_records", Double(batchSize)),
                        ("raw_seconds", raw.backgroundSeconds)]
            + RawInsert.comparisonFigures(records: total, seconds: seconds, yardsticks: raw)
            + [("cpu_microseconds_per_record", cpuSeconds * 1e6 / Double(total))]
        return report
    }

    /// The goal: the whole server at three quarters of the fair raw loop.
    static let goalRatio = 0.75

    /// Pushes every batch through a server of its own, then stops it (checkpointer
    /// included) and returns the wall and CPU seconds with the rows it stored.
    private func pushThroughServer() throws -> (Double, Double, [(collection: String, recordID: String, state: [UInt8])]) {
        let server = try LoopbackServer(directory: directory)
        defer { server.stop() }
        let enrolled = try (0..<devices).map { try server.enrol(unit: "SE2321000016-U\($0)") }
        let wall = Int64(Date().timeIntervalSince1970 * 1_000)
        // Bodies are built before the clock starts: the scenario measures the server.
        let perDevice = (records + devices - 1) / devices
        var bodies: [[[UInt8]]] = []
        for device in enrolled {
            var batches: [[UInt8]] = []
            var start = 0
            while start < perDevice {
                let count = min(batchSize, perDevice - start)
                batches.append(try LoopbackServer.batch(device: device, start: start, count: count, wall: wall))
                start += count
            }
            bodies.append(batches)
        }
        let prepared = bodies
        progress("prepared \(bodies.count * (bodies.first?.count ?? 0)) batches; pushing")
        let failures = Mutex<[String]>([])
        let cpuBefore = processCPUSeconds()
        let seconds = measure {
            DispatchQueue.concurrentPerform(iterations: devices) { index in
                for body in prepared[index] {
                    do {
                        let response = try server.client.send("POST", server.base + "/v1/sync/push",
                                                              headers: ["Authorization": "Bearer \(enrolled[index].token)"], body: body)
                        if response.status != 200 { failures.withLock { $0.append("\(response.status) \(response.bodyText.prefix(200))") } }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        let cpuSeconds = processCPUSeconds() - cpuBefore
        progress("pushed in \(seconds) s; raw insert")
        if let failure = failures.withLock({ $0.first }) { throw BenchFailure("push failed: \(failure)") }
        let total = perDevice * devices
        let rows = try server.application.service.store.read { try $0.changes(since: 0, units: nil, limit: total) }
        guard rows.count == total else { throw BenchFailure("the server stored \(rows.count) of \(total) records") }
        return (seconds, cpuSeconds, rows.map { ($0.collection, $0.recordID, $0.stateBytes) })
    }
}
