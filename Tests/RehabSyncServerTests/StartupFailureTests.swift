import Foundation
import Testing

/// What `rehabsync serve` says when it cannot start: an operator reads it from the service
/// log, so it has to name what to fix.
struct StartupFailureTests {
    @Test func aTakenPortIsReportedWithTheAddress() throws {
        let scratch = try ServerScratch()
        let first = try ServerProcess.serve(dataDirectory: scratch.path("first"))
        let port = try first.port()
        let second = try ServerProcess.serve(dataDirectory: scratch.path("second"),
                                             environment: ["REHABSYNC_LISTEN": "127.0.0.1:\(port)"])
        let status = try #require(second.waitForExit(), "the second server kept running: \(second.log)")
        #expect(status != 0)
        #expect(second.log.contains("bind 127.0.0.1:\(port) failed"), "\(second.log)")
        #expect(second.log.contains("in use"), "\(second.log)")
    }
}
