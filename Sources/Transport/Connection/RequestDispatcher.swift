import HTTPTypes
import NIOCore

/// Identifies one request on its connection: the HTTP/2 stream id, or for HTTP/1.1 the request's
/// position on the connection (1, 2, 3, …).
struct StreamID: Hashable, Sendable, CustomStringConvertible {
    var rawValue: Int32

    init(_ rawValue: Int32) { self.rawValue = rawValue }

    var description: String { String(self.rawValue) }
}

/// Takes responses back into the protocol handler that decoded the requests.
///
/// Only ever called on the channel's event loop.
protocol ResponseWriter: AnyObject {
    /// Sends the response for `stream`. Called exactly once per dispatched request that was not cancelled.
    /// `consuming`: the writer keeps the response (the HTTP/1 request machine moves it on) without copying it.
    func write(_ response: consuming Response, for stream: StreamID)

    /// Sends the head of a response whose body streams (``Response/streamedBody``), and returns the sink its body
    /// goes through; `nil` when no body is to be sent (a `HEAD` request, 204, 304: the response is then complete)
    /// or the stream is gone. Called instead of ``write(_:for:)``.
    func writeHead(_ response: Response, for stream: StreamID) -> ResponseBodySink?
}

/// Where protocol handlers hand complete requests; the connection actor in production, a recorder in tests.
///
/// Only ever called on the channel's event loop.
protocol RequestDispatcher: AnyObject {
    /// Starts answering `request`; the response arrives later through `writer.write(_:for:)`, on the event loop.
    func dispatch(_ request: Request, on stream: StreamID, writer: any ResponseWriter)

    /// How the body of the request with `head` is to arrive: asked before any body byte is read.
    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode

    /// The peer reset `stream`, or the connection is closing: stop working on it; no response is expected.
    func cancel(_ stream: StreamID)

    /// The protocol handler answered a request itself instead of dispatching it (a malformed, oversized or too slow
    /// one): `request` is its head when one was read.
    func answeredItself(status: HTTPResponse.Status, bodyBytes: Int, request: HTTPRequest?)

    /// The connection ended (the protocol handler saw it close, or was removed): stop what still runs for it. May be
    /// called more than once.
    func connectionClosed()
}

extension RequestDispatcher {
    /// Ignores what the handler answered itself (a dispatcher that observes nothing).
    func answeredItself(status: HTTPResponse.Status, bodyBytes: Int, request: HTTPRequest?) {}

    /// Collects every body (a dispatcher without routes).
    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode { .collected }

    /// Does nothing (a dispatcher that keeps nothing per connection).
    func connectionClosed() {}
}
