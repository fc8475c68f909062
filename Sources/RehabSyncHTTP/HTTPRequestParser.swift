/// A pure, incremental HTTP/1.1 request parser (RFC 9112): bytes in, events out, no I/O.
///
/// Feed whatever arrived with ``feed(_:)``, then call ``next()`` until it returns
/// ``HTTPParserEvent/needMoreData`` (read more and feed again), or an error (answer it and
/// close). Pipelined requests come out one after another from the same buffer.
///
/// Choices where RFC 9112 leaves room, all on the strict side because a server that reads
/// framing differently from a proxy in front of it can be smuggled requests:
/// - Lines must end in CRLF; a bare LF or a stray CR is a `400` (§2.2 permits either).
/// - Up to ``maximumLeadingEmptyLines`` empty lines before a request line are skipped (§2.2).
/// - obs-fold, whitespace before a field's colon, and Content-Length with Transfer-Encoding
///   are `400` (§5.1, §5.2, §6.1); differing Content-Length values are `400` (§6.3).
/// - Transfer-Encoding must be exactly `chunked`; any other coding is `501` (§6.1 asks
///   for 501 for codings the server does not understand), and Transfer-Encoding in an
///   HTTP/1.0 request is `400` (§6.1 calls its framing faulty).
/// - Chunk extensions are ignored; trailer fields are checked for syntax, bounded by
///   ``HTTPLimits/maxTrailerBytes``, and discarded (RFC 9110 §6.5.1 allows that).
/// - Every limit in ``HTTPLimits`` is checked as bytes arrive, and the body buffer grows
///   only with bytes actually received: a declared Content-Length never sizes an allocation.
public struct HTTPRequestParser: Sendable {
    /// The limits this parser enforces.
    public let limits: HTTPLimits

    /// Empty lines tolerated before a request line. RFC 9112 §2.2 says to ignore at least
    /// one (clients sometimes send CRLF after a body); a bound keeps a client from holding
    /// a connection open forever with nothing but line ends.
    public static let maximumLeadingEmptyLines = 4

    /// A body buffer starts at most this large, however much Content-Length promises.
    static let initialBodyCapacity = 64 * 1024

    /// Consumed bytes are dropped from the front of the buffer once this many accumulate
    /// (or all are consumed), so pipelined input is not copied on every feed.
    static let compactionThreshold = 4096

    private enum State: Sendable {
        case requestLine(emptyLinesSkipped: Int)
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    private enum LineRead {
        case line(Range<Int>)
        case incomplete(pendingBytes: Int)
        case bareLineEnding
    }

    private struct RequestLine: Sendable {
        var method: String
        var target: String
        var parsedTarget: RequestTarget
        var version: HTTPVersion
    }

    private var state: State = .requestLine(emptyLinesSkipped: 0)
    private var buffer: [UInt8] = []
    /// The first byte not yet consumed.
    private var readIndex = 0
    /// Where the search for the next LF resumes, so byte-by-byte input is not rescanned.
    private var scanIndex = 0

    private var requestLine: RequestLine?
    private var headers = HTTPHeaders()
    private var headerBytes = 0
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var trailerBytes = 0
    private var trailerCount = 0

    /// Creates a parser expecting the start of a request.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Bytes fed but not yet consumed by ``next()``.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True when no part of a request has been received: the connection is idle.
    public var isIdle: Bool {
        if case .requestLine(0) = state { return bufferedByteCount == 0 }
        return false
    }

    /// Gives back the buffer's memory when nothing is buffered, so a connection that once
    /// carried a large request holds nothing while it sits idle.
    public mutating func releaseSpareCapacity() {
        guard bufferedByteCount == 0, buffer.capacity > 0 else { return }
        buffer = []
        readIndex = 0
        scanIndex = 0
    }

    /// Appends received bytes. After an error they are discarded.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if case .failed = state { return }
        if readIndex > 0 && (readIndex == buffer.count || readIndex >= Self.compactionThreshold) {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Advances as far as the buffered bytes allow and reports what happened.
    public mutating func next() -> HTTPParserEvent {
        while true {
            switch state {
            case .failed(let error):
                return .error(error)

            case .requestLine(let skipped):
                switch readLine() {
                case .incomplete(let pending):
                    if pending > limits.maxRequestLineBytes { return fail(.requestLineTooLong) }
                    return .needMoreData
                case .bareLineEnding:
                    return fail(.bareLineEnding)
                case .line(let range):
                    if range.isEmpty {
                        guard skipped < Self.maximumLeadingEmptyLines else { return fail(.invalidRequestLine) }
                        state = .requestLine(emptyLinesSkipped: skipped + 1)
                        continue
                    }
                    guard range.count <= limits.maxRequestLineBytes else { return fail(.requestLineTooLong) }
                    switch parseRequestLine(buffer[range]) {
                    case .success(let line):
                        requestLine = line
                        headers = HTTPHeaders()
                        headerBytes = 0
                        state = .headers
                    case .failure(let error):
                        return fail(error.code)
                    }
                }

            case .headers:
                switch readLine() {
                case .incomplete(let pending):
                    if headerBytes + pending > limits.maxHeaderBytes { return fail(.headersTooLarge) }
                    return .needMoreData
                case .bareLineEnding:
                    return fail(.bareLineEnding)
                case .line(let range):
                    if range.isEmpty { return finishHead() }
                    headerBytes += range.count + 2
                    guard headerBytes <= limits.maxHeaderBytes else { return fail(.headersTooLarge) }
                    switch parseField(buffer[range]) {
                    case .success(let field):
                        headers.add(name: field.name, value: field.value)
                        guard headers.count <= limits.maxHeaderCount else { return fail(.tooManyHeaders) }
                    case .failure(let error):
                        return fail(error.code)
                    }
                }

            case .fixedBody(let remaining):
                if remaining == 0 { return complete() }
                let taken = takeBodyBytes(upTo: remaining)
                if taken == 0 { return .needMoreData }
                state = .fixedBody(remaining: remaining - taken)

            case .chunkSize:
                switch readLine() {
                case .incomplete(let pending):
                    if pending > limits.maxChunkSizeLineBytes { return fail(.chunkSizeLineTooLong) }
                    return .needMoreData
                case .bareLineEnding:
                    return fail(.bareLineEnding)
                case .line(let range):
                    guard range.count <= limits.maxChunkSizeLineBytes else { return fail(.chunkSizeLineTooLong) }
                    switch parseChunkSize(buffer[range]) {
                    case .success(0):
                        trailerBytes = 0
                        trailerCount = 0
                        state = .trailers
                    case .success(let size):
                        state = .chunkData(remaining: size)
                    case .failure(let error):
                        return fail(error.code)
                    }
                }

            case .chunkData(let remaining):
                if remaining == 0 {
                    state = .chunkDataEnd
                    continue
                }
                let taken = takeBodyBytes(upTo: remaining)
                if taken == 0 { return .needMoreData }
                state = .chunkData(remaining: remaining - taken)

            case .chunkDataEnd:
                let available = bufferedByteCount
                if available >= 1 && buffer[readIndex] != HTTPSyntax.cr { return fail(.invalidChunkTerminator) }
                if available < 2 { return .needMoreData }
                guard buffer[readIndex + 1] == HTTPSyntax.lf else { return fail(.invalidChunkTerminator) }
                readIndex += 2
                scanIndex = max(scanIndex, readIndex)
                state = .chunkSize

            case .trailers:
                switch readLine() {
                case .incomplete(let pending):
                    if trailerBytes + pending > limits.maxTrailerBytes { return fail(.trailersTooLarge) }
                    return .needMoreData
                case .bareLineEnding:
                    return fail(.bareLineEnding)
                case .line(let range):
                    if range.isEmpty { return complete() }
                    trailerBytes += range.count + 2
                    trailerCount += 1
                    guard trailerBytes <= limits.maxTrailerBytes else { return fail(.trailersTooLarge) }
                    guard trailerCount <= limits.maxHeaderCount else { return fail(.tooManyHeaders) }
                    if case .failure(let error) = parseField(buffer[range]) { return fail(error.code) }
                }
            }
        }
    }

    // MARK: - Steps

    private mutating func fail(_ code: HTTPParseError.Code) -> HTTPParserEvent {
        let error = HTTPParseError(code)
        state = .failed(error)
        // The rest of the input can never be used; drop it so a failed parser holds nothing.
        buffer = []
        readIndex = 0
        scanIndex = 0
        body = []
        return .error(error)
    }

    /// Finds the next CRLF-terminated line without consuming anything if there is none.
    private mutating func readLine() -> LineRead {
        let start = max(scanIndex, readIndex)
        guard let lf = buffer[start...].firstIndex(of: HTTPSyntax.lf) else {
            scanIndex = buffer.count
            // A trailing CR is half of a line ending, not content, so it is not counted.
            let pending = bufferedByteCount - (buffer.last == HTTPSyntax.cr ? 1 : 0)
            return .incomplete(pendingBytes: pending)
        }
        guard lf > readIndex, buffer[lf - 1] == HTTPSyntax.cr else { return .bareLineEnding }
        let line = readIndex..<(lf - 1)
        // A CR anywhere else in the line is a bare CR (RFC 9112 §2.2).
        guard !buffer[line].contains(HTTPSyntax.cr) else { return .bareLineEnding }
        readIndex = lf + 1
        scanIndex = readIndex
        return .line(line)
    }

    /// Moves up to `limit` buffered bytes into the body and returns how many it moved.
    private mutating func takeBodyBytes(upTo limit: Int) -> Int {
        let count = min(bufferedByteCount, limit)
        guard count > 0 else { return 0 }
        body.append(contentsOf: buffer[readIndex..<(readIndex + count)])
        readIndex += count
        scanIndex = max(scanIndex, readIndex)
        return count
    }

    /// `request-line = method SP request-target SP HTTP-version` (RFC 9112 §3).
    private func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<RequestLine, HTTPParseError> {
        guard let firstSpace = line.firstIndex(of: HTTPSyntax.space), firstSpace > line.startIndex else {
            return .failure(HTTPParseError(.invalidRequestLine))
        }
        let methodBytes = line[..<firstSpace]
        guard HTTPSyntax.isToken(methodBytes) else { return .failure(HTTPParseError(.invalidMethod)) }
        let rest = line[(firstSpace + 1)...]
        guard let secondSpace = rest.firstIndex(of: HTTPSyntax.space), secondSpace > rest.startIndex else {
            return .failure(HTTPParseError(.invalidRequestLine))
        }
        let targetBytes = rest[..<secondSpace]
        let versionBytes = rest[(secondSpace + 1)...]

        let version: HTTPVersion
        if versionBytes.elementsEqual(HTTPVersion.http1_1.rawValue.utf8) {
            version = .http1_1
        } else if versionBytes.elementsEqual(HTTPVersion.http1_0.rawValue.utf8) {
            version = .http1_0
        } else if Self.isWellFormedVersion(versionBytes) {
            return .failure(HTTPParseError(.unsupportedVersion))
        } else {
            return .failure(HTTPParseError(.invalidRequestLine))
        }

        let method = String(decoding: methodBytes, as: UTF8.self)
        guard let target = RequestTarget.parse(targetBytes, method: method) else {
            return .failure(HTTPParseError(.invalidTarget))
        }
        return .success(RequestLine(
            method: method, target: String(decoding: targetBytes, as: UTF8.self), parsedTarget: target, version: version))
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT` (RFC 9112 §2.3), case-sensitive.
    private static func isWellFormedVersion(_ bytes: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(bytes)
        return bytes.count == 8 && bytes[0..<5].elementsEqual("HTTP/".utf8)
            && HTTPSyntax.isDigit(bytes[5]) && bytes[6] == UInt8(ascii: ".") && HTTPSyntax.isDigit(bytes[7])
    }

    /// `field-line = field-name ":" OWS field-value OWS` (RFC 9112 §5).
    private func parseField(_ line: ArraySlice<UInt8>) -> Result<HTTPHeaders.Field, HTTPParseError> {
        // Safe because callers never pass an empty line (that ends the section).
        let first = line.first!
        if HTTPSyntax.isWhitespace(first) { return .failure(HTTPParseError(.obsoleteLineFolding)) }
        guard let colon = line.firstIndex(of: HTTPSyntax.colon) else {
            return .failure(HTTPParseError(.invalidHeaderValue))
        }
        let name = line[..<colon]
        // A space before the colon fails here, as RFC 9112 §5.1 requires.
        guard HTTPSyntax.isToken(name) else { return .failure(HTTPParseError(.invalidHeaderName)) }
        var value = line[(colon + 1)...]
        while let byte = value.first, HTTPSyntax.isWhitespace(byte) { value = value.dropFirst() }
        while let byte = value.last, HTTPSyntax.isWhitespace(byte) { value = value.dropLast() }
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else { return .failure(HTTPParseError(.invalidHeaderValue)) }
        return .success(HTTPHeaders.Field(
            name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
    }

    /// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1); extensions are checked for control
    /// characters and otherwise ignored.
    private func parseChunkSize(_ line: ArraySlice<UInt8>) -> Result<Int, HTTPParseError> {
        var size = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = HTTPSyntax.hexValue(line[index]) {
            let (shifted, overflow) = size.multipliedReportingOverflow(by: 16)
            guard !overflow else { return .failure(HTTPParseError(.bodyTooLarge)) }
            size = shifted + Int(digit)
            guard size <= limits.maxBodyBytes - body.count else { return .failure(HTTPParseError(.bodyTooLarge)) }
            index += 1
        }
        guard index > line.startIndex else { return .failure(HTTPParseError(.invalidChunkSize)) }
        var rest = line[index...]
        while let byte = rest.first, HTTPSyntax.isWhitespace(byte) { rest = rest.dropFirst() }
        guard rest.isEmpty || rest.first == UInt8(ascii: ";"), rest.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            return .failure(HTTPParseError(.invalidChunkSize))
        }
        return .success(size)
    }

    /// Validates the framing fields once the header section is complete (RFC 9112 §3.2,
    /// §6) and decides how the body is delimited.
    private mutating func finishHead() -> HTTPParserEvent {
        // Safe because the headers state is entered only after a request line is stored.
        let line = requestLine!

        let hostCount = headers.values(for: "Host").count
        guard line.version == .http1_1 ? hostCount == 1 : hostCount <= 1 else { return fail(.invalidHost) }

        var contentLength: Int?
        let lengthValues = headers.values(for: "Content-Length")
        for value in lengthValues {
            // RFC 9110 §8.6 allows a list of identical values ("42, 42"); differing ones are fatal.
            for element in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                var digits = element[...]
                while let byte = digits.first, HTTPSyntax.isWhitespace(byte) { digits = digits.dropFirst() }
                while let byte = digits.last, HTTPSyntax.isWhitespace(byte) { digits = digits.dropLast() }
                guard !digits.isEmpty, digits.allSatisfy(HTTPSyntax.isDigit) else { return fail(.invalidContentLength) }
                var number = 0
                for digit in digits {
                    let (shifted, overflowA) = number.multipliedReportingOverflow(by: 10)
                    let (sum, overflowB) = shifted.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                    // An overflowing length is still a number, just far too large: 413 below.
                    number = overflowA || overflowB ? Int.max : sum
                    if number == Int.max { break }
                }
                if let previous = contentLength, previous != number { return fail(.conflictingContentLength) }
                contentLength = number
            }
        }

        var isChunked = false
        let encodingValues = headers.values(for: "Transfer-Encoding")
        if !encodingValues.isEmpty {
            guard lengthValues.isEmpty else { return fail(.contentLengthWithTransferEncoding) }
            guard line.version == .http1_1 else { return fail(.invalidTransferEncoding) }
            let codings = encodingValues
                .flatMap { $0.split(separator: ",") }
                .map { $0.trimmingOWS().lowercased() }
                .filter { !$0.isEmpty }
            guard !codings.isEmpty else { return fail(.invalidTransferEncoding) }
            guard codings.allSatisfy({ $0 == "chunked" }) else { return fail(.unsupportedTransferEncoding) }
            guard codings.count == 1 else { return fail(.invalidTransferEncoding) }
            isChunked = true
        }

        if let contentLength, contentLength > limits.maxBodyBytes { return fail(.bodyTooLarge) }

        let head = HTTPRequestHead(
            method: line.method, target: line.target, parsedTarget: line.parsedTarget, version: line.version,
            headers: headers, contentLength: contentLength, isChunked: isChunked)
        self.head = head
        body = []
        let expected = isChunked ? Self.initialBodyCapacity : (contentLength ?? 0)
        body.reserveCapacity(min(expected, Self.initialBodyCapacity))
        state = isChunked ? .chunkSize : .fixedBody(remaining: contentLength ?? 0)
        return .head(head)
    }

    /// Hands out the finished request and resets for the next one on the connection.
    private mutating func complete() -> HTTPParserEvent {
        // Safe because body states are entered only from finishHead, which stores the head.
        let request = HTTPRequest(head: head!, body: body)
        head = nil
        requestLine = nil
        headers = HTTPHeaders()
        body = []
        state = .requestLine(emptyLinesSkipped: 0)
        return .complete(request)
    }
}
