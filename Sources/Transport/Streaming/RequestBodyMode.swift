/// How a request's body reaches the function: collected whole first, or streamed as it arrives.
///
/// The transport asks for it once per request, from the head alone and before any body byte is read
/// (``Responder/requestBodyMode(for:)``); a router answers with the mode of the route the head matches.
public enum RequestBodyMode: Sendable, Hashable {
    /// The body is collected up to the listener's `maxBodySize` (a larger one is answered 413 without
    /// dispatching) and the request is dispatched once it is complete, as ``Request/body``.
    case collected
    /// The request is dispatched as soon as its head arrives and its body follows through
    /// ``Request/bodyStream``, with backpressure: the transport stops reading (HTTP/1.1) or withholds
    /// flow-control credit (HTTP/2) while the reader lags. `maxBodySize` does not apply; `requestBodyTimeout`
    /// still cuts off a client that stops sending.
    case streamed
}
