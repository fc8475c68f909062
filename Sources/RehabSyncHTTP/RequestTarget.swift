/// The parts of a request target (RFC 9112 §3.2) that handlers route on.
struct RequestTarget: Sendable, Hashable {
    /// The path as sent, without the query. Not percent-decoded, so that an encoded slash
    /// (`%2F`) stays distinguishable from a path separator.
    var path: String
    /// Everything after the first `?`, as sent, or nil without a `?`.
    var rawQuery: String?
    /// The query's `name=value` pairs, percent-decoded with `+` as space; last one wins.
    var queryParameters: [String: String]

    /// Parses a target strictly, as received on the wire; nil means `400`.
    ///
    /// Accepted forms: origin-form (`/path?query`), absolute-form (`http://host/path`,
    /// which RFC 9112 §3.2.2 says servers MUST accept; the authority is dropped because
    /// Host already names it) and asterisk-form (`*`, only for OPTIONS). Authority-form is
    /// only for CONNECT, which this server does not proxy. Bytes must be visible ASCII,
    /// a fragment (`#` and after) is dropped, and every `%` must start a valid escape.
    static func parse<C: Collection<UInt8>>(_ bytes: C, method: String) -> RequestTarget? {
        var bytes = Array(bytes)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        // A fragment is for the client alone (RFC 9110 §4.2.5) and never sent by a correct
        // one; a sloppy one that sends it gets it ignored, as nginx does, not refused.
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { bytes.removeSubrange(hash...) }
        guard !bytes.isEmpty else { return nil }
        if bytes == [UInt8(ascii: "*")] {
            return method == "OPTIONS" ? RequestTarget(path: "*", rawQuery: nil, queryParameters: [:]) : nil
        }
        guard percentDecode(bytes[...], plusAsSpace: false) != nil else { return nil }
        var rest = bytes[...]
        if bytes.first != UInt8(ascii: "/") {
            // absolute-form: scheme "://" authority, then the origin-form part if any.
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            let schemeLength: Int
            if text.hasPrefix("http://") {
                schemeLength = 7
            } else if text.hasPrefix("https://") {
                schemeLength = 8
            } else {
                return nil
            }
            let afterScheme = bytes.dropFirst(schemeLength)
            let authorityEnd = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.endIndex
            guard authorityEnd > afterScheme.startIndex else { return nil }
            rest = bytes[authorityEnd...]
        }
        return split(String(decoding: rest, as: UTF8.self))
    }

    /// Splits an already-trusted target without validation; used when handlers or tests
    /// build requests in-process. Malformed escapes are kept literally.
    static func lenient(_ target: String) -> RequestTarget {
        split(target)
    }

    private static func split(_ target: String) -> RequestTarget {
        guard let question = target.firstIndex(of: "?") else {
            return RequestTarget(path: target.isEmpty ? "/" : target, rawQuery: nil, queryParameters: [:])
        }
        let path = String(target[..<question])
        let query = String(target[target.index(after: question)...])
        return RequestTarget(path: path.isEmpty ? "/" : path, rawQuery: query, queryParameters: parseQuery(query))
    }

    /// `application/x-www-form-urlencoded`-style query parsing; the last value of a repeated
    /// name wins, and a name without `=` gets the empty string.
    static func parseQuery(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = decodeComponent(parts[0])
            let value = parts.count > 1 ? decodeComponent(parts[1]) : ""
            result[name] = value
        }
        return result
    }

    private static func decodeComponent(_ bytes: Substring.UTF8View.SubSequence) -> String {
        let raw = Array(bytes)
        let decoded = percentDecode(raw[...], plusAsSpace: true) ?? raw
        // Invalid UTF-8 becomes U+FFFD rather than an error: the handler validates values.
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; nil when a `%` is not followed by two hex digits.
    static func percentDecode(_ bytes: ArraySlice<UInt8>, plusAsSpace: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let high = HTTPSyntax.hexValue(bytes[index + 1]), let low = HTTPSyntax.hexValue(bytes[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? HTTPSyntax.space : byte)
                index += 1
            }
        }
        return out
    }
}
