public import GatehouseTransport

/// The admin listener (`admin:` in the configuration file): `GET /metrics` (Prometheus text), `GET /healthz` and
/// `GET /readyz`. Off unless configured.
///
/// On a loopback host it may speak plain HTTP/1.1. Any other host needs ``tls`` with a ``policy`` (the client
/// certificate policy that guards `/metrics`), or ``allowInsecure`` to serve plain HTTP there anyway.
public struct AdminConfiguration: Sendable, Hashable {
    /// The address to bind; `127.0.0.1` by default.
    public var host: String
    /// The port; 9100 by default.
    public var port: Int
    /// TLS settings, as a listener's (`tls:`); `nil` for plain HTTP/1.1.
    public var tls: TLSConfiguration?
    /// The policy (a name under `policies:`) a client certificate must pass to read `/metrics`. `/healthz` and
    /// `/readyz` stay open, for probes that present no certificate.
    public var policy: String?
    /// Serve plain HTTP on a host that is not loopback.
    public var allowInsecure: Bool
    /// Connection limits: at most 64 connections, and the usual timeouts, unless `limits:` says otherwise.
    public var limits: ConnectionLimits

    /// The limits of an admin listener that sets none: a few scrapers and probes, not thousands of clients.
    public static var defaultLimits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.maxConnections = 64
        limits.maxBodySize = 0
        return limits
    }

    /// Creates an admin listener configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 9100,
        tls: TLSConfiguration? = nil,
        policy: String? = nil,
        allowInsecure: Bool = false,
        limits: ConnectionLimits = AdminConfiguration.defaultLimits
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.policy = policy
        self.allowInsecure = allowInsecure
        self.limits = limits
    }

    /// Whether ``host`` names this machine's loopback interface (`127.0.0.0/8`, `::1`, `localhost`).
    public var isLoopback: Bool {
        let host = self.host.lowercased()
        return host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" || host.hasPrefix("127.")
    }

    /// `host:port`, with brackets around an IPv6 address.
    var address: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}
