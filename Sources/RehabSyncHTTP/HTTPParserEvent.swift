/// What ``HTTPRequestParser/next()`` found in the bytes fed so far.
public enum HTTPParserEvent: Sendable, Hashable {
    /// Nothing more can be decided until more bytes are fed.
    case needMoreData
    /// A request's head is complete; its body (if any) has not been read yet. Servers use
    /// this moment to answer `Expect: 100-continue`.
    case head(HTTPRequestHead)
    /// A whole request, body included. Its `requestID` and `remoteAddress` are empty; the
    /// server fills them in. The parser is ready for the next (pipelined) request.
    case complete(HTTPRequest)
    /// The request is refused. The parser stays in this state: the connection must be
    /// answered with the error's status and closed.
    case error(HTTPParseError)
}
