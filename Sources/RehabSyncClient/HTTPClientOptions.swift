/// How the client connects: timeouts, TLS verification (on by default), and optionally a
/// client certificate and key, as SITHS function certificates require, and a CA bundle.
public struct HTTPClientOptions: Sendable, Hashable {
    public var connectTimeoutSeconds: Int
    public var totalTimeoutSeconds: Int
    /// Never switch this off in production: it is for a test server with a self-signed
    /// certificate only.
    public var verifyTLS: Bool
    public var caBundlePath: String?
    public var clientCertificatePath: String?
    public var clientKeyPath: String?

    public init(connectTimeoutSeconds: Int = 10, totalTimeoutSeconds: Int = 120, verifyTLS: Bool = true,
                caBundlePath: String? = nil, clientCertificatePath: String? = nil, clientKeyPath: String? = nil) {
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.totalTimeoutSeconds = totalTimeoutSeconds
        self.verifyTLS = verifyTLS
        self.caBundlePath = caBundlePath
        self.clientCertificatePath = clientCertificatePath
        self.clientKeyPath = clientKeyPath
    }
}
