import CCurl
import Foundation

/// A blocking HTTP client over libcurl. Each request uses its own easy handle, so one
/// client may be used from several threads at once.
public struct CurlHTTPClient: Sendable {
    public let options: HTTPClientOptions

    /// libcurl must be initialised once per process before any thread uses it.
    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(options: HTTPClientOptions = HTTPClientOptions()) {
        self.options = options
    }

    /// Collects the answer while libcurl calls back; lives for one request.
    private final class Exchange {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        let upload: [UInt8]
        var uploaded = 0

        init(upload: [UInt8]) {
            self.upload = upload
        }
    }

    /// Sends one request and waits for the whole answer.
    public func send(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil) throws(HTTPClientError) -> HTTPClientResponse {
        guard Self.globalInit, let handle = curl_easy_init() else {
            throw HTTPClientError(curlCode: -1, message: "libcurl could not be initialised", isTransient: false)
        }
        defer { curl_easy_cleanup(handle) }
        let exchange = Exchange(upload: body ?? [])
        let context = Unmanaged.passRetained(exchange)
        defer { context.release() }

        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        // "Expect:" with no value stops libcurl waiting for 100-continue on every upload.
        for line in headers.map({ "\($0.key): \($0.value)" }).sorted() + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        var setupFailed = false
        func check(_ code: CURLcode) { if code != CURLE_OK { setupFailed = true } }
        check(rehabsync_curl_setopt_string(handle, CURLOPT_URL, url))
        check(rehabsync_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method))
        check(rehabsync_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, list))
        check(rehabsync_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(rehabsync_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds))
        check(rehabsync_curl_setopt_long(handle, CURLOPT_TIMEOUT, options.totalTimeoutSeconds))
        check(rehabsync_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, options.verifyTLS ? 1 : 0))
        check(rehabsync_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, options.verifyTLS ? 2 : 0))
        if let path = options.caBundlePath { check(rehabsync_curl_setopt_string(handle, CURLOPT_CAINFO, path)) }
        if let path = options.clientCertificatePath { check(rehabsync_curl_setopt_string(handle, CURLOPT_SSLCERT, path)) }
        if let path = options.clientKeyPath { check(rehabsync_curl_setopt_string(handle, CURLOPT_SSLKEY, path)) }
        check(rehabsync_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque()))
        check(rehabsync_curl_setopt_write_callback(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let exchange = Unmanaged<Exchange>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            data.withMemoryRebound(to: UInt8.self, capacity: length) { exchange.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
            return length
        })
        check(rehabsync_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque()))
        check(rehabsync_curl_setopt_header_callback(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let exchange = Unmanaged<Exchange>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            let line = data.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                exchange.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            } else if line.hasPrefix("HTTP/") {
                exchange.headers = [:]  // a new response (after 100 Continue or a redirect)
            }
            return length
        })
        if body != nil {
            check(rehabsync_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            check(rehabsync_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(exchange.upload.count)))
            check(rehabsync_curl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque()))
            check(rehabsync_curl_setopt_read_callback(handle) { buffer, size, count, user in
                guard let buffer, let user else { return 0 }
                let exchange = Unmanaged<Exchange>.fromOpaque(user).takeUnretainedValue()
                let length = min(size * count, exchange.upload.count - exchange.uploaded)
                exchange.upload.withUnsafeBytes { source in
                    if let base = source.baseAddress { memcpy(buffer, base + exchange.uploaded, length) }
                }
                exchange.uploaded += length
                return length
            })
        }
        guard !setupFailed else {
            throw HTTPClientError(curlCode: -1, message: "libcurl refused an option (is the URL well formed?)", isTransient: false)
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            let transient = [CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
                             CURLE_GOT_NOTHING, CURLE_COULDNT_RESOLVE_HOST, CURLE_PARTIAL_FILE].contains(code)
            throw HTTPClientError(curlCode: Int(code.rawValue), message: message, isTransient: transient)
        }
        var status = 0
        _ = rehabsync_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClientResponse(status: status, headers: exchange.headers, body: exchange.body)
    }
}
