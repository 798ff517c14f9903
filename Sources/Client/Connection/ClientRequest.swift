import GatehouseTransport
import HTTPTypes
import NIOCore

/// One request on its way to a protocol handler, with the promise its response completes.
struct ClientRequest: Sendable {
    /// Method, scheme, authority, path and header fields.
    var head: HTTPRequest
    /// The body to send; `nil` for none.
    var body: ByteBuffer?
    /// Completed with the whole response, or failed with a ``ClientError``.
    var promise: EventLoopPromise<ClientResponse>
}

/// Facts a protocol handler stamps on every response of its connection.
struct ClientConnectionFacts: Sendable {
    /// The HTTP version the connection speaks.
    var httpVersion: HTTPVersionKind
    /// What the TLS handshake established.
    var tls: TLSSessionInfo
    /// The longest a request may wait for its complete response.
    var requestTimeout: Duration
}
