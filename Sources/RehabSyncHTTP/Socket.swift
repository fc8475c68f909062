#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP socket: a small `Sendable` value over the file descriptor, in the manner of
/// FlyingFox; the event loop makes connections non-blocking and does their I/O itself.
/// Every wrapper retries `EINTR` and throws ``HTTPServerError`` with the errno of the
/// failing call. Closing is explicit; the owner decides when.
struct Socket: Sendable, Hashable {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    // MARK: - Listening

    /// A listening socket bound to `host:port` with `SO_REUSEADDR`, so a restarted server
    /// does not wait out TIME_WAIT connections of its predecessor.
    static func listen(host: String, port: Int, backlog: Int32) throws(HTTPServerError) -> Socket {
        guard (0...65535).contains(port) else { throw .invalidHost("\(host):\(port)") }
        let address = try SocketAddress(host: host, port: UInt16(port))
        let fd = socket(Int32(address.family), Platform.streamSocketType, 0)
        guard fd >= 0 else { throw .lastError("socket") }
        let socket = Socket(descriptor: fd)
        do throws(HTTPServerError) {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, Int32(1), name: "setsockopt(SO_REUSEADDR)")
            try address.withSockAddr { pointer, length throws(HTTPServerError) in
                // The address goes into the error: "address in use" alone does not tell an
                // operator which setting or which other process to look at.
                let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                guard bind(fd, pointer, length) == 0 else { throw .lastError("bind \(shown)") }
            }
            guard systemListen(fd, backlog) == 0 else { throw HTTPServerError.lastError("listen") }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// The port the socket is bound to; useful after binding port 0.
    func localPort() throws(HTTPServerError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw .lastError("getsockname") }
        return SocketAddress(storage: storage).port
    }

    /// Waits for a connection. Returns the connected socket and the peer as `ip:port`.
    func accept() throws(HTTPServerError) -> (socket: Socket, remoteAddress: String) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Platform.accept(descriptor, $0, &length) }
            }
            if fd >= 0 {
                let peer = SocketAddress(storage: storage)
                return (Socket(descriptor: fd), peer.description)
            }
            let code = errno
            if code == EINTR { continue }
            // On a non-blocking listener: nobody is waiting.
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut }
            throw .systemCall("accept", errno: code)
        }
    }

    // MARK: - Options

    func setOption<T: BitwiseCopyable>(_ level: Int32, _ option: Int32, _ value: T, name: String) throws(HTTPServerError) {
        let result = withUnsafeBytes(of: value) { raw in
            setsockopt(descriptor, level, option, raw.baseAddress, socklen_t(raw.count))
        }
        guard result == 0 else {
            throw .lastError(name)
        }
    }

    /// Makes reads, writes and accepts return `EAGAIN` instead of waiting: the event loop
    /// must never block on one client.
    func setNonBlocking() throws(HTTPServerError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else { throw .lastError("fcntl(O_NONBLOCK)") }
    }

    /// Disables Nagle's algorithm: responses go out in one write and must not wait for the
    /// peer's delayed ACK.
    func setNoDelay() throws(HTTPServerError) {
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, Int32(1), name: "setsockopt(TCP_NODELAY)")
    }

    // MARK: - Closing

    /// Shuts down reading, writing or both. Errors are ignored: the peer may be gone, and
    /// the caller is closing either way.
    func shutdown(reading: Bool, writing: Bool) {
        let how: Int32
        switch (reading, writing) {
        case (true, true): how = Int32(SHUT_RDWR)
        case (true, false): how = Int32(SHUT_RD)
        case (false, true): how = Int32(SHUT_WR)
        case (false, false): return
        }
        _ = systemShutdown(descriptor, how)
    }

    /// Closes the descriptor. Not retried on EINTR: on Linux the descriptor is released
    /// even then, and a retry could close a descriptor another thread just opened.
    func close() {
        _ = systemClose(descriptor)
    }
}

// These forward to the C functions whose names the Socket methods shadow.
private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }
private func systemShutdown(_ fd: Int32, _ how: Int32) -> Int32 { shutdown(fd, how) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
