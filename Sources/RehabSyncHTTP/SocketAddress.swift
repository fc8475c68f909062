#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 socket address, parsed from literals only: resolving names would
/// block on DNS at startup and make the bound interface depend on resolver order.
struct SocketAddress: Sendable, CustomStringConvertible {
    private var storage: sockaddr_storage

    /// Parses `host`: an IPv4 literal, an IPv6 literal (with or without brackets), or
    /// `localhost`, which means 127.0.0.1.
    init(host: String, port: UInt16) throws(HTTPServerError) {
        var storage = sockaddr_storage()
        var literal = host == "localhost" ? "127.0.0.1" : host
        if literal.hasPrefix("["), literal.hasSuffix("]") {
            literal = String(literal.dropFirst().dropLast())
        }
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        if inet_pton(AF_INET, literal, &ipv4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = ipv4
            withUnsafeMutableBytes(of: &storage) { target in
                withUnsafeBytes(of: &address) { target.copyMemory(from: $0) }
            }
        } else if inet_pton(AF_INET6, literal, &ipv6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = ipv6
            withUnsafeMutableBytes(of: &storage) { target in
                withUnsafeBytes(of: &address) { target.copyMemory(from: $0) }
            }
        } else {
            throw .invalidHost(host)
        }
        self.storage = storage
    }

    init(storage: sockaddr_storage) {
        self.storage = storage
    }

    var family: sa_family_t { storage.ss_family }

    var port: Int {
        withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET: Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
            case AF_INET6: Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
            default: 0
            }
        }
    }

    /// `ip:port`, or `[ip]:port` for IPv6.
    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw -> String in
            switch Int32(storage.ss_family) {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self).sin_addr
                guard inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil else { return "unknown" }
                return "\(Self.string(text)):\(port)"
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "unknown" }
                return "[\(Self.string(text))]:\(port)"
            default:
                return "unknown"
            }
        }
    }

    private static func string(_ chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its exact length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(HTTPServerError) -> R) throws(HTTPServerError) -> R {
        let length = Int32(storage.ss_family) == AF_INET
            ? socklen_t(MemoryLayout<sockaddr_in>.size) : socklen_t(MemoryLayout<sockaddr_in6>.size)
        var copy = storage
        return try withUnsafePointer(to: &copy) { (pointer) throws(HTTPServerError) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(HTTPServerError) -> R in
                try body(address, length)
            }
        }
    }
}
