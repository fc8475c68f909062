import Foundation
import RehabSyncCore
import RehabSyncCrypto
import RehabSyncHTTP
import Synchronization

/// The reference national-register receiver: a real HTTP server that checks each delivery,
/// stores every accepted Bundle as a file under its data directory, and answers 201 for a
/// new key, 200 for the same key with the same bytes, 409 for the same key with other
/// bytes, 400/422 with a reason for a bad request. For tests it can fail the next requests
/// (503 with Retry-After) or answer slowly.
///
/// Routes: `POST /fhir/Bundle` (also `/Bundle`), `POST /control/fail-next`
/// `{"count","status","retryAfterSeconds"}`, `POST /control/slow` `{"milliseconds","count"}`,
/// `GET /control/received`.
public final class RegisterReceiver: Sendable {
    struct State {
        var failNext = 0
        var failStatus = 503
        var failRetryAfter: Int?
        var slowNext = 0
        var slowMilliseconds = 0
        var requests = 0
        var answers: [Int: Int] = [:]
        /// Accepted keys with the hash of their bytes and what the key says.
        var accepted: [String: (hash: String, info: ReceivedBundleCheck.Accepted)] = [:]
    }

    /// Lets the handler closure share the state: a `Mutex` cannot be captured itself.
    final class StateBox: Sendable {
        let mutex: Mutex<State>

        init(_ state: State) {
            mutex = Mutex(state)
        }

        func withLock<T: Sendable>(_ body: (inout State) -> T) -> T {
            mutex.withLock { body(&$0) }
        }
    }

    public let directory: String
    public let http: HTTPServer
    private let state: StateBox

    /// Opens (creating) the data directory and reads the Bundles already stored there.
    public init(directory: String, host: String = "127.0.0.1", port: Int, logger: Logger) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var initial = State()
        for name in (try FileManager.default.contentsOfDirectory(atPath: directory)).filter({ $0.hasSuffix(".json") }) {
            guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)),
                  let object = (try? JSONParser.parse(Array(data)))?.objectValue,
                  let key = object["identifier"]?.objectValue?["value"]?.stringValue,
                  let info = try? ReceivedBundleCheck.check(body: Array(data), idempotencyKey: key)
            else { continue }
            initial.accepted[key] = (SHA256Digest.hex(Array(data)), info)
        }
        let state = StateBox(initial)
        self.state = state
        let configuration = HTTPServerConfiguration(host: host, port: port, workerCount: 4, queueCapacity: 32)
        http = HTTPServer(configuration: configuration, logger: logger) { request in
            Self.handle(request, state: state, directory: directory)
        }
    }

    /// Starts listening; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        try http.start()
        return http.boundPort ?? http.configuration.port
    }

    public func stop() {
        http.shutdown(gracePeriod: .seconds(2))
        http.waitUntilStopped()
    }

    /// Accepted Bundles: key to (unit, period, revision).
    public var accepted: [String: ReceivedBundleCheck.Accepted] {
        state.withLock { $0.accepted.mapValues(\.info) }
    }

    /// How many times each status was answered to a delivery.
    public var answers: [Int: Int] { state.withLock { $0.answers } }

    /// Makes the next `count` deliveries fail with `status` (503 by default).
    public func failNext(_ count: Int, status: Int = 503, retryAfterSeconds: Int? = nil) {
        state.withLock {
            $0.failNext = count
            $0.failStatus = status
            $0.failRetryAfter = retryAfterSeconds
        }
    }

    /// Makes the next `count` deliveries wait `milliseconds` before answering.
    public func slowNext(_ count: Int, milliseconds: Int) {
        state.withLock {
            $0.slowNext = count
            $0.slowMilliseconds = milliseconds
        }
    }

    static func handle(_ request: HTTPRequest, state: StateBox, directory: String) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("POST", "/fhir/Bundle"), ("POST", "/Bundle"):
            return receive(request, state: state, directory: directory)
        case ("POST", "/control/fail-next"), ("POST", "/control/slow"):
            guard let body = (try? JSONParser.parse(request.body))?.objectValue, let count = body["count"]?.integerValue, count >= 0 else {
                return .error(status: .badRequest, code: "invalid_control", message: "send {\"count\": N, ...}", field: "count")
            }
            state.withLock {
                if request.path == "/control/slow" {
                    $0.slowNext = Int(count)
                    $0.slowMilliseconds = Int(body["milliseconds"]?.integerValue ?? 1_000)
                } else {
                    $0.failNext = Int(count)
                    $0.failStatus = Int(body["status"]?.integerValue ?? 503)
                    $0.failRetryAfter = body["retryAfterSeconds"]?.integerValue.map { Int($0) }
                }
            }
            return .json(status: .ok, bytes: JSONValue.object(["ok": .bool(true)]).canonicalBytes)
        case ("GET", "/control/received"):
            let snapshot = state.withLock { ($0.accepted, $0.answers, $0.requests) }
            let accepted = snapshot.0.keys.sorted().map { key -> JSONValue in
                let entry = snapshot.0[key]!  // Safe because key comes from the same dictionary.
                return .object(["key": .string(key), "unit": .string(entry.info.unit), "period": .string(entry.info.period),
                                "revision": .integer(Int64(entry.info.revision)), "sha256": .string(entry.hash)])
            }
            let answers = JSONValue.object(Dictionary(uniqueKeysWithValues: snapshot.1.map { (String($0.key), JSONValue.integer(Int64($0.value))) }))
            return .json(status: .ok, bytes: JSONValue.object(["accepted": .array(accepted), "answers": answers,
                                                               "requests": .integer(Int64(snapshot.2))]).canonicalBytes)
        default:
            return .error(status: .notFound, code: "not_found", message: "POST /fhir/Bundle; control under /control/")
        }
    }

    static func receive(_ request: HTTPRequest, state: StateBox, directory: String) -> HTTPResponse {
        let (fail, slow) = state.withLock { state -> ((Int, Int?)?, Int?) in
            state.requests += 1
            var slow: Int?
            if state.slowNext > 0 {
                state.slowNext -= 1
                slow = state.slowMilliseconds
            }
            guard state.failNext > 0 else { return (nil, slow) }
            state.failNext -= 1
            return ((state.failStatus, state.failRetryAfter), slow)
        }
        // A slow answer is slow after the decision is stored: the sender's timeout then
        // leaves it unsure whether the register has the report, the case idempotency keys exist for.
        func answer(_ response: HTTPResponse) -> HTTPResponse {
            if let slow { Thread.sleep(forTimeInterval: Double(slow) / 1_000) }
            state.withLock { $0.answers[response.status.code, default: 0] += 1 }
            return response
        }
        if let (status, retryAfter) = fail {
            var response = HTTPResponse.error(status: HTTPStatus(code: status), code: "unavailable", message: "told to fail this request")
            if let retryAfter { response.headers.add(name: "Retry-After", value: String(retryAfter)) }
            return answer(response)
        }
        let accepted: ReceivedBundleCheck.Accepted
        do {
            accepted = try ReceivedBundleCheck.check(body: request.body, idempotencyKey: request.headers.values(for: "Idempotency-Key").first)
        } catch {
            return answer(.error(status: HTTPStatus(code: error.status), code: error.code, message: error.reason))
        }
        let hash = SHA256Digest.hex(request.body)
        // The check, the file and the index change under one lock, so two deliveries of the
        // same key cannot both be "new".
        return answer(state.withLock { state -> HTTPResponse in
            if let existing = state.accepted[accepted.key] {
                guard existing.hash == hash else {
                    return .error(status: .conflict, code: "key_reused", message: "this idempotency key was accepted with other content")
                }
                return .json(status: .ok, bytes: JSONValue.object(["status": .string("duplicate"), "key": .string(accepted.key)]).canonicalBytes)
            }
            let path = (directory as NSString).appendingPathComponent(SHA256Digest.hex(Array(accepted.key.utf8)) + ".json")
            do {
                try Data(request.body).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                return .error(status: .internalServerError, code: "storage", message: "cannot store the bundle")
            }
            state.accepted[accepted.key] = (hash, accepted)
            return .json(status: .created, bytes: JSONValue.object(["status": .string("created"), "key": .string(accepted.key)]).canonicalBytes)
        })
    }
}
