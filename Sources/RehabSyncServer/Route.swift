import RehabSyncHTTP

/// One route of the API: a method, a path pattern whose `{name}` segments capture, who may
/// call it, and what it does. The pattern doubles as the route's name in metrics and in the
/// OpenAPI document, so a test can check that every route is documented.
public struct Route: Sendable {
    /// Who may call a route.
    public enum Access: Sendable {
        case anyone
        case device
        /// A device's token, whichever replica instance sends it: the greeting in which an
        /// instance asks to be bound, or to take a token over.
        case deviceGreeting
        case admin
        /// The administrator, a holder of the metrics token, or anyone on the loopback-only
        /// metrics listener.
        case metrics
    }

    public let method: String
    public let pattern: String
    public let access: Access
    let handler: @Sendable (RouteContext) throws -> HTTPResponse
    /// The pattern's segments, split once: matching runs for every route on every request.
    private let segments: [Segment]

    private enum Segment: Sendable {
        case literal(Substring)
        case capture(String)
    }

    init(_ method: String, _ pattern: String, _ access: Access, _ handler: @escaping @Sendable (RouteContext) throws -> HTTPResponse) {
        self.method = method
        self.pattern = pattern
        self.access = access
        self.handler = handler
        segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .capture(String(part.dropFirst().dropLast())) : .literal(part)
        }
    }

    /// The captured segments if the path, split at `/`, matches; nil otherwise.
    func match(pathParts: [Substring]) -> [String: String]? {
        guard segments.count == pathParts.count else { return nil }
        var captures: [String: String] = [:]
        for (expected, actual) in zip(segments, pathParts) {
            switch expected {
            case .literal(let literal):
                guard literal == actual else { return nil }
            case .capture(let name):
                guard !actual.isEmpty, let decoded = String(actual).removingPercentEncodingStrict() else { return nil }
                captures[name] = decoded
            }
        }
        return captures
    }
}

/// What a handler gets: the request, the captured path segments, and the device when the
/// route is for devices.
struct RouteContext {
    let router: SyncRouter
    let request: HTTPRequest
    let parameters: [String: String]
    let device: Device?

    /// The device, which the router has authenticated for `.device` routes.
    func requireDevice() throws -> Device {
        guard let device else { throw SyncError.unauthorized }
        return device
    }

    /// A query parameter as a non-negative integer, or nil when absent.
    func integer(_ name: String) throws -> Int64? {
        guard let text = request.queryParameters[name] else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw SyncError.badRequest("invalid_parameter", "\(name) is a non-negative integer", field: name)
        }
        return value
    }
}

extension String {
    /// Percent-decoding that refuses malformed escapes and invalid UTF-8 rather than
    /// passing them through.
    func removingPercentEncodingStrict() -> String? {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
