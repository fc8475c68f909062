import RehabSyncHTTP
import RehabSyncServer
import Testing

/// The proxy's certificate headers count only from the proxies the settings name.
struct ClientCertificatePolicyTests {
    typealias F = ServerFixtures

    static let subject = "CN=Klinik A dator 1,serialNumber=SE2321000016-F001,O=Testregionen,C=SE"

    static func pull(token: String, from address: String, headers extra: [(String, String)]) -> HTTPRequest {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(token)", "X-Clinician": F.nurse]
        for (name, value) in extra { headers.add(name: name, value: value) }
        return HTTPRequest(method: "GET", target: "/v1/sync/pull?since=0", headers: headers, remoteAddress: address)
    }

    static let verified = [(ClientCertificatePolicy.verifyHeader, "SUCCESS"), (ClientCertificatePolicy.subjectHeader, subject)]

    @Test func deviceRoutesNeedAVerifiedCertificateFromATrustedProxyWhenRequired() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (_, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        let policy = ClientCertificatePolicy(trustedProxies: ["127.0.0.1", "::1"], requiredForDevices: true)
        let router = SyncRouter(service: service, admin: AdminCredential(token: "admin-secret"),
                                logger: Logger(label: "test", minimumLevel: .critical), certificates: policy)

        #expect(router.handle(Self.pull(token: token, from: "127.0.0.1:50000", headers: Self.verified)).status == .ok)
        #expect(router.handle(Self.pull(token: token, from: "[::1]:50000", headers: Self.verified)).status == .ok)
        // The same headers from anyone else are forged as far as the server knows.
        let forged = router.handle(Self.pull(token: token, from: "10.1.2.3:50000", headers: Self.verified))
        #expect(forged.status == .forbidden)
        #expect(String(decoding: forged.body, as: UTF8.self).contains("client_certificate_required"))
        #expect(router.handle(Self.pull(token: token, from: "127.0.0.1:50000", headers: [])).status == .forbidden)
        let unverified = [(ClientCertificatePolicy.verifyHeader, "FAILED:certificate has expired"),
                          (ClientCertificatePolicy.subjectHeader, Self.subject)]
        #expect(router.handle(Self.pull(token: token, from: "127.0.0.1:50000", headers: unverified)).status == .forbidden)
        // Routes that are not device routes are unaffected.
        #expect(router.handle(HTTPRequest(method: "GET", target: "/healthz", remoteAddress: "10.1.2.3:1")).status == .ok)
    }

    @Test func withoutTheRequirementDevicesNeedNoCertificate() throws {
        let scratch = try ServerScratch()
        let service = try F.service(scratch)
        let (_, token) = try service.enrol(name: "Laptop", units: [F.unitA])
        let router = SyncRouter(service: service, admin: AdminCredential(token: "admin-secret"),
                                logger: Logger(label: "test", minimumLevel: .critical))
        #expect(router.handle(Self.pull(token: token, from: "10.1.2.3:50000", headers: [])).status == .ok)
    }

    @Test func requiringCertificatesWithoutNamingAProxyStopsStartUp() {
        #expect(throws: SettingsError.self) {
            try ServerSettings.load(path: nil,
                                    environment: ["REHABSYNC_REQUIRE_CLIENT_CERTIFICATE": "true"])
        }
        #expect(throws: SettingsError.self) {
            try ServerSettings.load(path: nil, environment: ["REHABSYNC_TRUSTED_PROXIES": "proxy.example.org"])
        }
    }
}
