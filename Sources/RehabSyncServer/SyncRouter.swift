import Dispatch
import RehabSyncCore
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncStorage

/// The HTTP face of ``SyncService``: matches routes, authenticates, turns ``SyncError`` into
/// `{"error":{"code","message","field"}}` answers and anything unexpected into a 500 that
/// names only the request id. Pure request-in, response-out, so tests can call it without
/// a socket.
public final class SyncRouter: Sendable {
    public let service: SyncService
    private let admin: AdminCredential
    /// A token that may read `/metrics` and nothing else, besides the administrator's.
    private let metricsCredential: AdminCredential?
    private let logger: Logger
    private let certificates: ClientCertificatePolicy
    /// The connection layer's counters, for `/metrics` and `/readyz`; nil in tests that
    /// call the router without a server.
    let connections: HTTPServerStatistics?
    /// The server's queued-request cap: a full queue means shedding load.
    let queueCapacity: Int?
    public let routes: [Route]

    /// - Parameters:
    ///   - metricsToken: a second token accepted for `/metrics` (for a monitoring system
    ///     that must not hold the administrator's).
    ///   - connections: the HTTP server's counters and its queue capacity, when there is one.
    public init(service: SyncService, admin: AdminCredential, logger: Logger, exporter: RegisterExporter? = nil,
                certificates: ClientCertificatePolicy = .init(), metricsToken: String? = nil,
                connections: HTTPServerStatistics? = nil, queueCapacity: Int? = nil) {
        self.service = service
        self.admin = admin
        self.metricsCredential = metricsToken.flatMap { $0.isEmpty ? nil : AdminCredential(token: $0) }
        self.logger = logger
        self.certificates = certificates
        self.connections = connections
        self.queueCapacity = queueCapacity
        routes = Self.makeRoutes(service: service) + Self.exportRoutes(exporter: exporter, now: service.now)
    }

    /// The answers that need no blocking call, for the HTTP server's event loop: `/healthz`
    /// while the database answered a liveness read within the last second. Anything else
    /// is nil, for the workers.
    public func answerWithoutBlocking(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.path == "/healthz", request.method == "GET" || request.method == "HEAD",
            service.answeredRecently()
        else { return nil }
        service.metrics.observe(route: "/healthz", status: 200, seconds: 0)
        return Self.healthy
    }

    /// Answers a request on the loopback-only metrics listener: `/metrics`, `/healthz` and
    /// `/readyz` without a token (only local processes can connect), nothing else.
    public func handleMetricsListener(_ request: HTTPRequest) -> HTTPResponse {
        guard ["/metrics", "/healthz", "/readyz"].contains(request.path) else {
            return .error(status: .notFound, code: "not_found", message: "this listener serves /metrics, /healthz and /readyz")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.error(status: .methodNotAllowed, code: "method_not_allowed", message: "this route takes GET and HEAD")
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        return answer(request, trusted: true).0
    }

    /// Answers one request.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let (response, routeName) = answer(request, trusted: false)
        service.metrics.observe(route: routeName, status: response.status.code, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        return response
    }

    /// `trusted`: the request came through the loopback-only metrics listener.
    private func answer(_ request: HTTPRequest, trusted: Bool) -> (HTTPResponse, String) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        let candidates = routes.compactMap { route in route.match(pathParts: parts).map { (route, $0) } }
        guard !candidates.isEmpty else {
            return (.error(status: .notFound, code: "not_found", message: "no such route"), "unmatched")
        }
        // HEAD is GET without the body (RFC 9110 §9.3.2); the HTTP server leaves the body out.
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let (route, parameters) = candidates.first(where: { $0.0.method == method }) else {
            var response = HTTPResponse.error(status: .methodNotAllowed, code: "method_not_allowed",
                                              message: "this route does not take \(String(request.method.prefix(16)))")
            var allowed = candidates.map(\.0.method)
            if allowed.contains("GET") { allowed.append("HEAD") }
            response.headers.add(name: "Allow", value: allowed.joined(separator: ", "))
            return (response, candidates[0].0.pattern)
        }
        var device: Device?
        do {
            let token = Self.bearer(request)
            switch route.access {
            case .anyone: break
            case .admin:
                guard admin.accepts(token) else { throw SyncError.unauthorized }
            case .metrics:
                guard trusted || admin.accepts(token) || metricsCredential?.accepts(token) == true else {
                    throw SyncError.unauthorized
                }
            case .device:
                try certificates.checkDevice(request)
                device = try service.authenticate(bearer: token, instance: request.headers.values(for: SyncService.instanceHeader).first)
            case .deviceGreeting:
                try certificates.checkDevice(request)
                device = try service.authenticate(bearer: token)
            }
            return (try route.handler(RouteContext(router: self, request: request, parameters: parameters, device: device)), route.pattern)
        } catch let error as SyncError {
            var response = HTTPResponse.error(status: HTTPStatus(code: error.status), code: error.code, message: error.message, field: error.field)
            if error.status == 401 { response.headers.add(name: "WWW-Authenticate", value: "Bearer") }
            logRefusal(error, device: device, request: request, route: route.pattern)
            return (response, route.pattern)
        } catch let error as DatabaseError where error.storageFault != nil {
            // A condition of the machine, not of the request: the client tries again later.
            // The pool's fault observer logs when the fault begins and ends.
            let fault = error.storageFault ?? .ioError
            logger.debug("answered 503: storage unavailable", [("request_id", request.requestID), ("route", route.pattern), ("fault", fault.rawValue)])
            var response = HTTPResponse.error(status: .serviceUnavailable, code: fault == .locked ? "busy" : "storage_\(fault.rawValue)",
                                              message: "\(fault.explanation); try again later")
            response.headers.add(name: "Retry-After", value: String(fault.retryAfterSeconds))
            return (response, route.pattern)
        } catch {
            // The error may quote SQL or paths; it goes to the log, never to the client.
            logger.error("request failed", [("request_id", request.requestID), ("route", route.pattern), ("error", "\(error)")])
            return (.error(status: .internalServerError, code: "internal_error",
                           message: "internal error; quote request id \(request.requestID) to the administrator"), route.pattern)
        }
    }

    /// Statuses that mean a device or operator is misconfigured (wrong token, wrong unit,
    /// an old replica copy, a rejected record): one `warning` line each, so an operator can
    /// find the device and the request. Every line is kept: these come one per request that
    /// got through the connection limits, unlike the connection-level refusals that
    /// `RefusalLogSampler` summarises under overload.
    static let loggedRefusalStatuses: Set<Int> = [401, 403, 409, 422]

    private func logRefusal(_ error: SyncError, device: Device?, request: HTTPRequest, route: String) {
        guard Self.loggedRefusalStatuses.contains(error.status) else { return }
        logger.warning("request refused", [("status", String(error.status)), ("code", error.code),
                                           ("replica", device?.replicaID.description ?? "unknown"),
                                           ("request_id", request.requestID), ("route", route)])
    }

    private static func bearer(_ request: HTTPRequest) -> String? {
        guard let value = request.headers.values(for: "Authorization").first else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharactersInSet()
    }

    static func json(_ value: JSONValue, status: HTTPStatus = .ok) -> HTTPResponse {
        .json(status: status, bytes: value.canonicalBytes)
    }

    /// The body as a JSON object with no members but `members`: a misspelt member is
    /// refused, as the OpenAPI document's `additionalProperties: false` says, rather than
    /// ignored.
    static func parseJSONBody(_ request: HTTPRequest, members: Set<String>) throws -> [String: JSONValue] {
        do {
            guard let object = try JSONParser.parse(request.body).objectValue else {
                throw SyncError.badRequest("malformed_json", "the body must be a JSON object")
            }
            if let unknown = object.keys.filter({ !members.contains($0) }).sorted(by: CanonicalJSON.precedes).first {
                throw SyncError.badRequest("unknown_member", "the body has no member of this name; known: \(members.sorted().joined(separator: ", "))",
                                           field: String(unknown.prefix(32)))
            }
            return object
        } catch let error as CoreError {
            throw SyncError.badRequest(error.code.rawValue, "request body is not valid JSON: \(error.message)", field: error.field)
        }
    }

    static func clinician(_ request: HTTPRequest) throws -> String {
        guard let value = request.headers.values(for: "X-Clinician").first else {
            throw SyncError.badRequest("missing_clinician", "reads are logged per clinician: send the clinician's HSA-id in X-Clinician", field: "X-Clinician")
        }
        return value
    }
}
