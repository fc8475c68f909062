#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Connects `descriptor` to 127.0.0.1:`port` with send and receive timeouts; 0 or errno.
func connectToLoopback(_ descriptor: Int32, port: Int, timeout: Duration) -> Int32 {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let (seconds, attoseconds) = timeout.components
    var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return result == 0 ? 0 : errno
}

/// A raw TCP client for live tests: blocking socket with a receive timeout, so no test
/// can hang on a server that never answers.
public final class TestClient {
    public struct Response {
        public var status: Int
        public var headers: [String: String]  // names lowercased
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Failure: Error {
        case connect(Int32)
        case send(Int32)
        case timedOut
        case closed
        case malformed(String)
    }

    public let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects; `receiveBufferBytes` shrinks the socket's receive buffer (before
    /// connecting, so the advertised window is small too) for tests of slow readers.
    public init(port: Int, timeout: Duration = .seconds(10), receiveBufferBytes: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect(errno) }
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // No close on failure: deinit runs for a class whose init throws after initialising
        // every property, and a second close could hit a descriptor another test reused.
        let result = connectToLoopback(fd, port: port, timeout: timeout)
        guard result == 0 else { throw Failure.connect(result) }
    }

    deinit {
        Glibc.close(fd)
    }

    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure.send(errno) }
            offset += sent
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timedOut }
        if errno == ECONNRESET { return false }
        throw Failure.malformed("recv errno \(errno)")
    }

    /// Reads the next response (an interim 100 counts as one), framed by Content-Length
    /// unless `bodyless` (an answer to HEAD).
    public func readResponse(bodyless: Bool = false) throws -> Response {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if let range = buffer.firstRange(of: terminator) {
                headEnd = range.upperBound
                break
            }
            guard try fill() else { throw Failure.closed }
        }
        // Safe because the loop above only exits with headEnd set.
        let headBytes = buffer[0..<headEnd!]
        let lines = String(decoding: headBytes, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard let statusLine = lines.first else { throw Failure.malformed("no status line") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw Failure.malformed(statusLine)
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(line) }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        buffer.removeFirst(headEnd!)
        let length = bodyless ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length {
            guard try fill() else { throw Failure.closed }
        }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return Response(status: status, headers: headers, body: body)
    }

    /// Whether the server closes the connection (end of stream, or a reset) before the
    /// receive timeout, with no further bytes.
    public func isClosedByServer() -> Bool {
        do {
            while try fill() {}
            return buffer.isEmpty
        } catch {
            return false
        }
    }
}

/// Connects to a port expecting refusal; true if the connection was refused.
public func connectionIsRefused(port: Int) -> Bool {
    do {
        _ = try TestClient(port: port, timeout: .milliseconds(500))
        return false
    } catch TestClient.Failure.connect(let code) {
        return code == ECONNREFUSED
    } catch {
        return false
    }
}

public func usleepMilliseconds(_ milliseconds: UInt32) {
    usleep(milliseconds * 1000)
}

/// A minimal blocking TCP client for sending what a well-behaved client never would.
public final class RawSocket {
    private var descriptor: Int32

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard connectToLoopback(descriptor, port: port, timeout: .seconds(10)) == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    public func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Everything received until the peer closes, a receive fails, or `timeout` seconds pass.
    public func receiveAll(timeout: Double) -> [UInt8] {
        receiveUntilClosed(timeout: timeout).bytes
    }

    /// Everything received, and whether the peer closed the connection (end of stream or
    /// reset) rather than the deadline or the 10 s receive timeout ending the wait.
    public func receiveUntilClosed(timeout: Double) -> (bytes: [UInt8], closed: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                result.append(contentsOf: buffer[0..<count])
                continue
            }
            let closed = count == 0 || errno == ECONNRESET
            return (result, closed)
        }
        return (result, false)
    }

    public func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}
