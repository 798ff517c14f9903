/// Per-listener limits on what one connection may do. The defaults follow DESIGN.md.
public struct ConnectionLimits: Sendable, Hashable {
    /// The largest request header block, in bytes (→ 431 on HTTP/1.1; on HTTP/2 the advertised
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, → 431).
    public var maxHeaderListSize: Int = 16 * 1024
    /// The largest request body, in bytes (→ 413).
    public var maxBodySize: Int = 1024 * 1024
    /// How long a TLS handshake may take before the connection is closed.
    public var handshakeTimeout: Duration = .seconds(10)
    /// How long a client may take to send a request head once it started one (HTTP/1.1), or a
    /// request body once the head arrived.
    public var requestHeadTimeout: Duration = .seconds(30)
    /// How long a connection may sit without a request in flight before it is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`.
    public var maxConcurrentStreams: Int = 100
    /// HTTP/2 `SETTINGS_INITIAL_WINDOW_SIZE` for request bodies, in bytes.
    public var initialWindowSize: Int = 1024 * 1024
    /// HTTP/2 stream resets the peer may cause in a burst before the connection is closed (rapid reset).
    public var streamResetBurst: Int = 1000
    /// HTTP/2 stream resets per second the peer may sustain after the burst.
    public var streamResetRate: Int = 33

    /// The defaults of DESIGN.md.
    public init() {}
}
