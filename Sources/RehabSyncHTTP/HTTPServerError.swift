#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the socket and server layer. A failing system call records `errno` at the
/// moment it failed, before anything else can overwrite it.
public enum HTTPServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed.
    case systemCall(String, errno: Int32)
    /// The host is neither an IPv4 or IPv6 literal nor `localhost`.
    case invalidHost(String)
    /// `start()` was called on a server that is not idle.
    case notIdle
    /// A read or write did not complete within its timeout.
    case timedOut
    /// The peer closed the connection.
    case connectionClosed

    public var description: String {
        switch self {
        case .systemCall(let name, let code):
            // Safe because strerror always returns a valid C string (at worst "Unknown error").
            "\(name) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .invalidHost(let host): "invalid host \(host): use an IPv4 or IPv6 literal or localhost"
        case .notIdle: "the server has already been started"
        case .timedOut: "timed out"
        case .connectionClosed: "connection closed by peer"
        }
    }

    /// An error for the system call that just failed, capturing errno right away.
    static func lastError(_ name: String) -> HTTPServerError {
        .systemCall(name, errno: errno)
    }
}
