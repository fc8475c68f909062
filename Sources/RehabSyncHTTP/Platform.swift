#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few places where Glibc and Darwin differ, kept in one file.
enum Platform {
    /// `SOCK_STREAM`, close-on-exec where the platform allows it atomically, so sockets do
    /// not leak into child processes.
    static var streamSocketType: Int32 {
        #if canImport(Glibc)
        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        SOCK_STREAM
        #endif
    }

    /// Flags for `send`: no SIGPIPE on a closed peer.
    static var sendFlags: Int32 {
        #if canImport(Glibc)
        Int32(MSG_NOSIGNAL)
        #else
        0  // Darwin has no MSG_NOSIGNAL; the process ignores SIGPIPE instead.
        #endif
    }

    /// `accept`, then close-on-exec. (Glibc's `accept4` would do both atomically, but
    /// Swift does not see it without `_GNU_SOURCE`; the window only matters to a process
    /// that forks concurrently, which this server does not.)
    static func accept(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        #if canImport(Glibc)
        let connection = Glibc.accept(fd, address, length)
        #else
        let connection = Darwin.accept(fd, address, length)
        #endif
        if connection >= 0 {
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        }
        return connection
    }

    /// Ignores SIGPIPE process-wide: a peer closing mid-response must cost one connection,
    /// not the whole process. Sends also pass `MSG_NOSIGNAL`; this covers everything else.
    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}
