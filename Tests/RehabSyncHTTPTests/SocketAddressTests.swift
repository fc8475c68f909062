@testable import RehabSyncHTTP
import Testing

struct SocketAddressTests {
    @Test(arguments: ["127.0.0.1", "0.0.0.0", "localhost", "::1", "[::1]", "::", "fe80::1"])
    func parsesLiteralsAndLocalhost(host: String) throws {
        let address = try SocketAddress(host: host, port: 8080)
        #expect(address.port == 8080)
    }

    @Test func describesAddressesWithTheirPort() throws {
        #expect(try SocketAddress(host: "localhost", port: 80).description == "127.0.0.1:80")
        #expect(try SocketAddress(host: "[::1]", port: 443).description == "[::1]:443")
    }

    @Test(arguments: ["example.com", "", "256.0.0.1", "::g"])
    func refusesNamesThatNeedResolving(host: String) {
        #expect(throws: HTTPServerError.invalidHost(host)) { try SocketAddress(host: host, port: 80) }
    }
}
