/// The named limits the request parser enforces while it reads.
///
/// Every limit is checked as bytes arrive, never after the fact: a client cannot make the
/// server buffer more than these numbers by lying about lengths or by never sending a
/// line terminator. Each refusal maps to the status RFC 9110 prescribes for it.
public struct HTTPLimits: Sendable, Hashable {
    /// Longest request line, excluding its CRLF. Default 8 KiB, the size RFC 9112 §3
    /// recommends supporting at least. Exceeding it answers `414 URI Too Long`, because in
    /// practice only the request target makes a request line long.
    public var maxRequestLineBytes: Int

    /// Largest header section (every field line with its CRLF, excluding the request line).
    /// Default 16 KiB. Exceeding it answers `431 Request Header Fields Too Large`.
    public var maxHeaderBytes: Int

    /// Most header field lines in one request. Default 100. Exceeding it answers `431`.
    public var maxHeaderCount: Int

    /// Largest request body after removing chunked framing. Default 32 MiB. Exceeding it
    /// answers `413 Content Too Large`; a declared Content-Length above it is refused before
    /// a single body byte is read.
    public var maxBodyBytes: Int

    /// Longest chunk-size line (hex size plus ignored chunk extensions), excluding its CRLF.
    /// Default 1 KiB: sizes need at most 16 digits, so the rest could only be extensions,
    /// which we ignore and therefore need not store. Exceeding it answers `400`.
    public var maxChunkSizeLineBytes: Int

    /// Largest trailer section of a chunked body (field lines with their CRLFs). Default
    /// 4 KiB. Trailers are validated and then discarded. Exceeding it answers `431`.
    public var maxTrailerBytes: Int

    /// Creates limits; every parameter defaults to the value documented on its property.
    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 32 * 1024 * 1024,
        maxChunkSizeLineBytes: Int = 1024,
        maxTrailerBytes: Int = 4 * 1024
    ) {
        precondition(maxRequestLineBytes > 0 && maxHeaderBytes > 0 && maxHeaderCount > 0, "limits must be positive")
        precondition(maxBodyBytes >= 0 && maxChunkSizeLineBytes > 0 && maxTrailerBytes >= 0, "limits must not be negative")
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkSizeLineBytes = maxChunkSizeLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }
}
