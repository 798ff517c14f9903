/// A listener that speaks plain HTTP/1.1 over TCP, without TLS: for an administration endpoint (metrics, health
/// checks) on the loopback interface, never for the service itself. See
/// ``Server/init(plaintext:responder:logger:shutdownGracePeriod:eventLoopGroup:)``.
public struct PlaintextListenerConfiguration: Sendable, Hashable {
    /// A name for logs; `nil` when unnamed.
    public var name: String?
    /// The address to bind, usually `127.0.0.1` or `::1`.
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// Per-connection limits (connections, header size, timeouts), as on any listener.
    public var limits: ConnectionLimits

    /// Creates a plaintext listener configuration.
    public init(name: String? = nil, host: String, port: Int, limits: ConnectionLimits = ConnectionLimits()) {
        self.name = name
        self.host = host
        self.port = port
        self.limits = limits
    }
}
