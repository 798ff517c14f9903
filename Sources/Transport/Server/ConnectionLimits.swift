/// Per-listener limits on what one connection may do. The defaults follow DESIGN.md; README's
/// "Limits and defaults" says what a client sees when it reaches each one.
public struct ConnectionLimits: Sendable, Hashable {
    /// The largest request header block, in bytes (→ 431 on HTTP/1.1; on HTTP/2 the advertised
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, → 431).
    public var maxHeaderListSize: Int = 16 * 1024
    /// The largest request body, in bytes (→ 413).
    public var maxBodySize: Int = 1024 * 1024
    /// How long a TLS handshake may take before the connection is closed.
    public var handshakeTimeout: Duration = .seconds(10)
    /// How long a client may take to send a whole request head once it started one: HTTP/1.1 → 408 and
    /// close; HTTP/2 (a header block without its END_HEADERS) → GOAWAY.
    public var requestHeadTimeout: Duration = .seconds(30)
    /// How long a request body may receive no bytes at all: → 408 (HTTP/1.1: then close; HTTP/2: that
    /// stream only).
    public var requestBodyTimeout: Duration = .seconds(30)
    /// How long a connection may make no progress — no request in flight, or open streams that neither
    /// receive nor send anything — before it is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`.
    public var maxConcurrentStreams: Int = 100
    /// HTTP/2 `SETTINGS_INITIAL_WINDOW_SIZE` for request bodies, in bytes.
    public var initialWindowSize: Int = 1024 * 1024
    /// The request-body bytes one connection may hold buffered for requests not yet complete, in bytes. On
    /// HTTP/2 the connection-level flow-control window is not reopened past it, so the client waits.
    public var maxBufferedBodyBytesPerConnection: Int = 4 * 1024 * 1024
    /// Response bytes that may wait for a client that does not read before the server stops reading
    /// from that connection (HTTP/1.1 backpressure), in bytes.
    public var maxPendingOutputBytes: Int = 1024 * 1024
    /// HTTP/1.1: reading from the connection stops while a streaming function holds this many bytes of its request
    /// body it has not taken yet, in bytes (HTTP/2 withholds flow-control credit instead).
    public var maxUnreadStreamedBodyBytes: Int = 256 * 1024
    /// HTTP/2: a streamed response body's producer waits while this many bytes of its stream wait for the client's
    /// flow-control window, in bytes; the streams of one connection together wait with at most
    /// ``maxPendingOutputBytes``.
    public var maxQueuedResponseBytesPerStream: Int = 256 * 1024
    /// HTTP/2 stream resets the peer may cause in a burst before the connection is closed (rapid reset).
    public var streamResetBurst: Int = 1000
    /// HTTP/2 stream resets per second the peer may sustain after the burst.
    public var streamResetRate: Int = 33
    /// Open connections per listener; a connection accepted beyond it is closed at once (logged, rate-limited).
    public var maxConnections: Int = 10_000
    /// The largest client Certificate message, in bytes (`SSL_CTX_set_max_cert_list`); a larger one fails the
    /// handshake with an alert.
    public var maxClientCertificateChainSize: Int = 64 * 1024

    /// The defaults of DESIGN.md.
    public init() {}
}
