/// An error that knows how it should look to the client, in the manner of Hummingbird.
///
/// When a handler throws an error conforming to this protocol, the server sends
/// ``response``; any other error becomes a `500` that names only the request id, because
/// error text may carry details (or patient data) clients must not see.
public protocol HTTPResponseError: Error {
    /// The response to send instead of the handler's.
    var response: HTTPResponse { get }
}
