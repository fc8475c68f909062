import RehabSyncHTTP

/// How the server learns of a device's client certificate (a SITHS function certificate):
/// the TLS-terminating proxy in front of it verifies the certificate against the region's
/// CA and passes the verified subject in a header. The header is believed only from the
/// proxy addresses the settings name, since anyone reaching the server's port directly
/// could send it too.
public struct ClientCertificatePolicy: Sendable, Hashable {
    /// IP addresses of the proxies whose certificate headers are believed.
    public var trustedProxies: Set<String>
    /// Whether device routes refuse a request without a verified client certificate.
    public var requiredForDevices: Bool

    /// The verified certificate's subject (RFC 2253), as nginx's `$ssl_client_s_dn`.
    public static let subjectHeader = "X-Client-Certificate-Subject"
    /// The proxy's verdict, as nginx's `$ssl_client_verify`: `SUCCESS` when verified.
    public static let verifyHeader = "X-Client-Certificate-Verify"

    public init(trustedProxies: Set<String> = [], requiredForDevices: Bool = false) {
        self.trustedProxies = trustedProxies
        self.requiredForDevices = requiredForDevices
    }

    /// The subject of the client certificate a trusted proxy verified for `request`, or
    /// nil: no trusted proxy, no verified certificate, or headers from anyone else.
    public func verifiedSubject(of request: HTTPRequest) -> String? {
        guard trustedProxies.contains(Self.host(of: request.remoteAddress)),
            request.headers.values(for: Self.verifyHeader) == ["SUCCESS"],
            let subject = request.headers.values(for: Self.subjectHeader).first, !subject.isEmpty
        else { return nil }
        return subject
    }

    /// Checks a request to a device route; 403 when a certificate is required and missing.
    /// Returns the verified subject, if any.
    @discardableResult
    func checkDevice(_ request: HTTPRequest) throws -> String? {
        let subject = verifiedSubject(of: request)
        if requiredForDevices, subject == nil {
            throw SyncError(status: 403, code: "client_certificate_required",
                            message: "device routes require a client certificate verified by the TLS proxy")
        }
        return subject
    }

    /// The IP address of `ip:port` or `[ip]:port`.
    static func host(of address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }
}
