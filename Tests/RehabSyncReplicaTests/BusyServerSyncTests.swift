#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RehabSyncCore
import Testing

/// A replica syncs with a server that many other clients are holding on to.
struct BusyServerSyncTests {
    /// Raw loopback sockets that connect and then do as little as possible.
    final class HeldSockets {
        private(set) var descriptors: [Int32] = []

        func open(port: Int, count: Int, sending text: String? = nil) throws {
            for _ in 0..<count {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { throw POSIXError(.EMFILE) }
                descriptors.append(fd)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let result = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
                if let text {
                    let bytes = Array(text.utf8)
                    guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
                        throw POSIXError(.EPIPE)
                    }
                }
            }
        }

        deinit {
            for fd in descriptors { close(fd) }
        }
    }

    @Test func aWholeSyncSucceedsWithinASecondWhileAThousandIdleAndAHundredSlowLorisConnectionsAreHeld() throws {
        let world = try ReplicaEndToEndTests.World(replicaCount: 2)
        let (writer, reader) = (world.replicas[0], world.replicas[1])
        for number in 0..<20 {
            try writer.write(collection: "carePlans", id: "plan-\(number)", values: ReplicaEndToEndTests.plan("Plan \(number)"))
        }
        let held = HeldSockets()
        try held.open(port: world.port, count: 1_000)
        try held.open(port: world.port, count: 100, sending: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
        let statistics = world.server.http.statistics
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while statistics.snapshot().openConnections < 1_100 && clock.now < deadline { usleep(2_000) }
        #expect(statistics.snapshot().openConnections >= 1_100)

        let started = clock.now
        let pushed = try writer.sync()
        let pulled = try reader.sync()
        #expect(clock.now - started < .seconds(1))
        #expect(pushed.pushed == 20)
        #expect(pulled.pulled == 20)
        #expect(pulled.digestMatches)
        #expect(try reader.dump() == world.serverDump())
        #expect(try writer.dump() == world.serverDump())
    }
}
