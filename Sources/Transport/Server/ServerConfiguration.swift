/// One address to listen on, with its TLS settings and limits.
public struct ListenerConfiguration: Sendable, Hashable {
    /// A name for logs and for routes that are served on some listeners only; `nil` when unnamed.
    public var name: String?
    /// The address to bind: `127.0.0.1`, `::1`, `0.0.0.0`, `::` or a host name.
    public var host: String
    /// The port; 0 picks a free one (see ``Server/start()``).
    public var port: Int
    /// The TLS settings. Every listener speaks TLS.
    public var tls: TLSConfiguration
    /// Per-connection limits.
    public var limits: ConnectionLimits

    /// Creates a listener configuration.
    public init(
        name: String? = nil,
        host: String,
        port: Int,
        tls: TLSConfiguration,
        limits: ConnectionLimits = ConnectionLimits()
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
    }
}

/// What a ``Server`` listens on and how it shuts down.
public struct ServerConfiguration: Sendable, Hashable {
    /// The listeners; at least one.
    public var listeners: [ListenerConfiguration]
    /// How long in-flight requests may run after a graceful shutdown starts before connections are closed.
    public var shutdownGracePeriod: Duration

    /// Creates a server configuration.
    public init(listeners: [ListenerConfiguration], shutdownGracePeriod: Duration = .seconds(10)) {
        self.listeners = listeners
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
