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

/// A request whose body follows in ``ClientOutbound/bodyPart(_:_:)`` messages and whose response is streamed.
struct StreamedClientRequest: Sendable {
    /// Method, scheme, authority, path and header fields.
    var head: HTTPRequest
    /// Whether body parts follow (else the request ends with its head).
    var hasBody: Bool
    /// Where the response goes.
    var exchange: ClientExchange
}

/// What the client writes into a connection's pipeline for its protocol handler.
enum ClientOutbound: Sendable {
    /// A request with its whole body, answered by a collected response.
    case collected(ClientRequest)
    /// The head of a streamed request.
    case streamed(StreamedClientRequest)
    /// The next piece of a streamed request's body; the write's promise completes once the handler has taken it
    /// (the caller waits for it before writing the next: backpressure).
    case bodyPart(ExchangeID, ByteBuffer)
    /// The streamed request's body is complete.
    case bodyEnd(ExchangeID)
    /// The reader of a streamed response wants more.
    case produceMore(ExchangeID)
    /// The caller gave up on the exchange: HTTP/1.1 closes the connection, HTTP/2 resets the stream.
    case cancel(ExchangeID)
}

/// Facts a protocol handler stamps on every response of its connection.
struct ClientConnectionFacts: Sendable {
    /// The HTTP version the connection speaks.
    var httpVersion: HTTPVersionKind
    /// What the TLS handshake established (empty for `http://`).
    var tls: TLSSessionInfo
    /// The longest a request may wait for its complete response (a streamed one: its head).
    var requestTimeout: Duration
    /// HTTP/2: the most requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS queued for a stream; one more
    /// fails with ``ClientError/Code/connectionsBusy``. `nil` sets no bound.
    var maxWaitingRequests: Int?

    /// The facts of a connection speaking `httpVersion` after `tls`, with `configuration`'s bounds.
    init(httpVersion: HTTPVersionKind, tls: TLSSessionInfo, configuration: ClientConfiguration) {
        self.httpVersion = httpVersion
        self.tls = tls
        self.requestTimeout = configuration.effectiveResponseTimeout
        self.maxWaitingRequests = configuration.maxWaitingRequestsPerOrigin
    }
}
