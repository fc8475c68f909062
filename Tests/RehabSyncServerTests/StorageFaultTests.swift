import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full disk, a read-only file system and a locked database answer 503 with
/// Retry-After and one log line, never 500; the server recovers by itself.
struct StorageFaultTests {
    typealias F = ServerFixtures

    /// A small tmpfs mounted for one test, when this process may mount one (root).
    final class SmallDisk {
        let path: String

        init?(under directory: String, bytes: Int) {
            path = directory + "/disk"
            guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
                Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path]) == 0
            else { return nil }
        }

        /// Writes a file until the disk says it is full; returns its path.
        func fill() -> String {
            let filler = path + "/filler"
            let descriptor = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer { close(descriptor) }
            let chunk = [UInt8](repeating: 0xAB, count: 4_096)
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
            return filler
        }

        static func run(_ tool: String, _ arguments: [String]) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit { _ = Self.run("/bin/umount", ["-l", path]) }
    }

    /// A server in this process whose log lines the test can read.
    final class Harness {
        let scratch: ServerScratch
        let application: ServerApplication
        let log = LogBuffer()
        let device: (replica: ReplicaID, token: String)
        var counter: Int64 = 0

        init(dataDirectory: String? = nil, scratch: ServerScratch, busyTimeoutMilliseconds: Int = 5_000) throws {
            self.scratch = scratch
            var settings = try ServerSettings.load(path: ServerProcess.root.appendingPathComponent("Config/rehabsync.json").path,
                                                   environment: [:])
            settings.dataDirectory = dataDirectory ?? scratch.path("data")
            settings.port = 0
            settings.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            let log = log
            application = try ServerApplication(settings: settings, logger: Logger(
                label: "test", minimumLevel: .notice, sink: Logger.Sink { line in log.text.withLock { $0 += line + "\n" } }), now: { F.wall })
            let (enrolled, token) = try application.service.enrol(name: "Laptop", units: [F.unitA])
            device = (enrolled.replicaID, token)
        }

        deinit { application.finish() }

        /// Pushes `count` new records with long titles, so that they need fresh pages.
        func push(_ count: Int, prefix: String) throws -> HTTPResponse {
            let records = try (0..<count).map { index -> (String, String, RecordState) in
                counter += 1
                let title = String(repeating: "Rehabiliteringsplan \(prefix) \(index) ", count: 5)
                return ("carePlans", "\(prefix)-\(index)", try F.state(F.plan(title: title), replica: device.replica, counter: counter))
            }
            return application.router.handle(HTTPRequest(method: "POST", target: "/v1/sync/push",
                                                         headers: ["Authorization": "Bearer \(device.token)"], body: F.body(records)))
        }

        func lines(_ containing: String) -> [String] {
            log.text.withLock { $0 }.split(separator: "\n").map(String.init).filter { $0.contains(containing) }
        }
        func faultLines() -> [String] { lines("storage fault") }
        func recoveryLines() -> [String] { lines("storage recovered") }

        /// Every record id stored, after SQLite has checked the whole file.
        func storedIDsAfterIntegrityCheck() throws -> Set<String> {
            try application.service.store.read { queries in
                let check = try queries.connection.pragmaText("integrity_check")
                guard check == "ok" else { throw ServerProcessError("integrity_check: \(check ?? "no answer")") }
                return Set(try queries.connection.prepare("SELECT record_id FROM records").rows(nil) { try $0.requireText(at: 0) })
            }
        }
    }

    static func expectUnavailable(_ response: HTTPResponse, code: String, retryAfter: String) throws {
        #expect(response.status == .serviceUnavailable, "\(String(decoding: response.body, as: UTF8.self))")
        #expect(response.headers.values(for: "Retry-After") == [retryAfter])
        let error = try JSONParser.parse(response.body).objectValue?["error"]?.objectValue
        #expect(error?["code"] == .string(code))
    }

    @Test func aFullDiskAnswers503OnceLoggedAndTheServerRecoversWhenSpaceIsFreed() throws {
        let scratch = try ServerScratch()
        let disk = SmallDisk(under: scratch.url.path, bytes: 3 << 20)
        let harness = try Harness(dataDirectory: disk.map { $0.path + "/data" }, scratch: scratch)
        #expect(try harness.push(5, prefix: "before").status == .ok)

        // A real full disk where the test may mount a tmpfs; otherwise SQLite's answer to one.
        let filler = disk?.fill()
        if disk == nil {
            harness.application.service.store.database.injectWriteFault(
                DatabaseError(extendedResultCode: DatabaseError.Code.full, message: "database or disk is full"))
        }
        for _ in 0..<3 {
            try Self.expectUnavailable(try harness.push(1_000, prefix: "during"), code: "storage_disk_full", retryAfter: "30")
        }
        #expect(harness.application.service.store.database.lastCommitFault == .diskFull)
        #expect(harness.faultLines().count == 1, "\(harness.faultLines())")
        #expect(harness.faultLines().first?.contains("fault=disk_full") == true, "\(harness.faultLines())")

        if let filler { try FileManager.default.removeItem(atPath: filler) }
        harness.application.service.store.database.injectWriteFault(nil)
        #expect(try harness.push(1_000, prefix: "during").status == .ok)
        #expect(harness.application.service.store.database.lastCommitFault == nil)
        #expect(harness.recoveryLines().count == 1)
        let stored = try harness.storedIDsAfterIntegrityCheck()
        #expect(stored.count == 1_005)
        // The disk stays mounted until the server is done with it.
        withExtendedLifetime(disk) {}
    }

    @Test func aReadOnlyFileSystemAnswers503AndWritesResumeWhenItIsWritableAgain() throws {
        // The kernel refuses to remount a file system read-only while files on it are open
        // for writing, so the fault is SQLite's answer to a write that met EROFS.
        let harness = try Harness(scratch: try ServerScratch())
        #expect(try harness.push(2, prefix: "before").status == .ok)
        harness.application.service.store.database.injectWriteFault(
            DatabaseError(extendedResultCode: DatabaseError.Code.ioErrorWrite, message: "disk I/O error", systemErrno: EROFS))
        try Self.expectUnavailable(try harness.push(2, prefix: "during"), code: "storage_read_only", retryAfter: "30")
        try Self.expectUnavailable(try harness.push(2, prefix: "during"), code: "storage_read_only", retryAfter: "30")
        #expect(harness.faultLines().count == 1)
        harness.application.service.store.database.injectWriteFault(nil)
        #expect(try harness.push(2, prefix: "during").status == .ok)
        #expect(harness.recoveryLines().count == 1)
        #expect(try harness.storedIDsAfterIntegrityCheck().count == 4)
    }

    @Test func aDatabaseLockedByAnotherProcessAnswers503WithRetryAfterUntilItIsReleased() throws {
        let scratch = try ServerScratch()
        let harness = try Harness(scratch: scratch, busyTimeoutMilliseconds: 100)
        #expect(try harness.push(1, prefix: "before").status == .ok)
        let other = try Connection(path: scratch.path("data/rehabsync.sqlite"), readOnly: false, busyTimeoutMilliseconds: 100)
        try other.execute("BEGIN IMMEDIATE")
        try Self.expectUnavailable(try harness.push(1, prefix: "during"), code: "busy", retryAfter: "1")
        #expect(harness.application.service.store.database.lastCommitFault == .locked)
        #expect(harness.faultLines().count == 1)
        try other.execute("ROLLBACK")
        #expect(try harness.push(1, prefix: "during").status == .ok)
        #expect(harness.recoveryLines().count == 1)
        #expect(try harness.storedIDsAfterIntegrityCheck().count == 2)
    }

    @Test func storageErrorsAreClassifiedByCodeAndErrno() {
        func fault(_ code: Int32, _ errno: Int32 = 0) -> StorageFault? {
            DatabaseError(extendedResultCode: code, message: "m", systemErrno: errno).storageFault
        }
        #expect(fault(DatabaseError.Code.full) == .diskFull)
        #expect(fault(DatabaseError.Code.ioErrorWrite, ENOSPC) == .diskFull)
        #expect(fault(DatabaseError.Code.ioErrorWrite, EROFS) == .readOnly)
        #expect(fault(DatabaseError.Code.readOnly) == .readOnly)
        #expect(fault(DatabaseError.Code.busy) == .locked)
        #expect(fault(DatabaseError.Code.ioErrorWrite, EIO) == .ioError)
        #expect(fault(DatabaseError.Code.constraint) == nil)
        #expect(fault(DatabaseError.Code.misuse) == nil)
    }
}
