import Foundation

/// A minimal blocking HTTP/1.1 client over one kept-alive loopback socket, for the
/// `connections` scenario: thousands of them are needed, and libcurl's easy handles cost
/// far more per connection than the few bytes this one holds.
final class BenchConnection {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    private(set) var descriptor: Int32 = -1
    private let port: Int
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    init(port: Int) {
        self.port = port
    }

    deinit { close() }

    /// Connects (again) unless connected.
    func connect(timeoutSeconds: Int = 10) throws {
        guard descriptor < 0 else { return }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw BenchFailure("connect: errno \(code)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        descriptor = fd
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends raw bytes; false if the connection is gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// One request and its response on the kept-alive connection, reconnecting first if
    /// the server closed it. Throws on any failure, after closing.
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> Response {
        try connect()
        var head = "\(method) \(target) HTTP/1.1\r\nHost: bench\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        guard send(Array(head.utf8) + body) else {
            close()
            throw BenchFailure("send failed")
        }
        do {
            let response = try readResponse()
            return response
        } catch {
            close()
            throw error
        }
    }

    private func fill() throws {
        let count = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw BenchFailure(count == 0 ? "closed by server" : "recv: errno \(errno)") }
        buffer.append(contentsOf: scratch[0..<count])
    }

    private func readResponse() throws -> Response {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: terminator) { headEnd = range.upperBound } else { try fill() }
        }
        // Safe because the loop above only ends once headEnd is set.
        let end = headEnd!
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        var length = 0
        var closes = false
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") { length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0 }
            if lower.hasPrefix("connection:") && lower.contains("close") { closes = true }
        }
        while buffer.count < end + length { try fill() }
        let body = Array(buffer[end..<(end + length)])
        buffer.removeFirst(end + length)
        if closes { close() }
        return Response(status: status, body: body)
    }
}
