import Foundation
import RehabSyncClient
import RehabSyncCore

/// The replica's side of the sync API over libcurl, with the retry policy applied.
struct SyncTransport: Sendable {
    let server: String
    let token: String
    /// The clinician using the device, for the server's access log; none before init.
    let clinician: String?
    /// This replica file's instance id, to which the server binds the token.
    let instance: String?
    let client: CurlHTTPClient
    let retry: RetryPolicy

    /// Sends a request, retrying transient failures; any other non-2xx answer is thrown as
    /// ``ReplicaError/refused(status:code:message:field:)``.
    func send(_ method: String, _ path: String, body: [UInt8]? = nil, headers extra: [String: String] = [:]) throws(ReplicaError) -> [UInt8] {
        try response(method, path, body: body, headers: extra).body
    }

    /// ``send(_:_:body:headers:)``, keeping the answer's headers.
    func response(_ method: String, _ path: String, body: [UInt8]? = nil,
                  headers extra: [String: String] = [:]) throws(ReplicaError) -> HTTPClientResponse {
        var headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
        if let clinician { headers["X-Clinician"] = clinician }
        if let instance { headers["X-RehabSync-Instance"] = instance }
        headers.merge(extra) { _, new in new }
        var attempt = 0
        while true {
            attempt += 1
            var retryAfter: Int?
            var problem: String
            do {
                let response = try client.send(method, server + path, headers: headers, body: body)
                if (200..<300).contains(response.status) { return response }
                guard RetryPolicy.isRetryable(status: response.status) else { throw Self.refusal(response) }
                retryAfter = response.retryAfterSeconds
                problem = "HTTP \(response.status)"
            } catch let error as HTTPClientError {
                guard error.isTransient else { throw ReplicaError.unreachable(error.message) }
                problem = error.message
            } catch let error as ReplicaError {
                throw error
            } catch {
                throw ReplicaError.unreachable("\(error)")
            }
            guard attempt < retry.maximumAttempts else {
                throw ReplicaError.unreachable("\(problem) after \(attempt) attempts")
            }
            let wait = retry.delay(beforeRetry: attempt, retryAfter: retryAfter, random: Double.random(in: 0...1))
            Thread.sleep(forTimeInterval: wait)
        }
    }

    private static func refusal(_ response: HTTPClientResponse) -> ReplicaError {
        let error = (try? JSONParser.parse(response.body))?.objectValue?["error"]?.objectValue
        return .refused(status: response.status, code: error?["code"]?.stringValue ?? "http_\(response.status)",
                        message: error?["message"]?.stringValue ?? "the server gave no reason",
                        field: error?["field"]?.stringValue)
    }
}
