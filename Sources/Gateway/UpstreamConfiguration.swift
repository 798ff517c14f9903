public import GatehouseClient
import GatehouseTransport

/// One `upstreams:` entry: where a gateway route forwards to and how.
///
/// ```yaml
/// upstreams:
///   orders:
///     url: https://127.0.0.1:9000
///     tls: { trustedCAs: [pki/ca.crt], certificate: pki/gw.crt, privateKey: pki/gw.key, serverName: orders.internal }
///     forwardClientCertificate: rfc9440
/// ```
public struct UpstreamConfiguration: Sendable, Hashable {
    /// How the client's certificate goes upstream.
    public enum ClientCertificateForwarding: String, Sendable, Hashable, CaseIterable {
        /// RFC 9440 `Client-Cert` (the leaf) and `Client-Cert-Chain` (the certificates the client sent after it).
        case rfc9440
        /// Envoy's `X-Forwarded-Client-Cert` (`Hash`, `Cert`, `Subject`, `URI`, `DNS`).
        case xfcc
        /// Not at all (the default).
        case none
    }

    /// TLS to an `https` upstream: whom the gateway trusts and who it is.
    public struct TLS: Sendable, Hashable {
        /// CA files (or folders) the upstream's chain must verify to; empty for the system's CAs.
        public var trustedCAs: [String]
        /// The gateway's own certificate chain (PEM) presented to the upstream; `nil` to present none.
        public var certificate: String?
        /// The key of ``certificate``.
        public var privateKey: String?
        /// The name sent with SNI and checked in the upstream's certificate; `nil` for the URL's host.
        public var serverName: String?

        /// Creates TLS settings; paths should be absolute.
        public init(
            trustedCAs: [String] = [],
            certificate: String? = nil,
            privateKey: String? = nil,
            serverName: String? = nil
        ) {
            self.trustedCAs = trustedCAs
            self.certificate = certificate
            self.privateKey = privateKey
            self.serverName = serverName
        }
    }

    /// The default ``connectTimeout``: 5 s.
    public static let defaultConnectTimeout: Duration = .seconds(5)
    /// The default ``responseTimeout``: 30 s.
    public static let defaultResponseTimeout: Duration = .seconds(30)
    /// The default ``maxConnections``: 64.
    public static let defaultMaxConnections = 64
    /// The default ``maxWaitingRequests``: 1,024 (Envoy's `max_pending_requests`).
    public static let defaultMaxWaitingRequests = 1_024

    /// The name routes refer to.
    public var name: String
    /// Where requests go: scheme, host, port and a base path the request's path is appended to.
    public var url: UpstreamURL
    /// TLS settings (for `https` only).
    public var tls: TLS
    /// ALPN protocols offered, `h2` and/or `http/1.1`; over `http://`, `[h2]` alone means HTTP/2 with prior
    /// knowledge, anything else HTTP/1.1.
    public var protocols: [String]
    /// The longest the TCP connect and TLS handshake may take (→ 502 when over).
    public var connectTimeout: Duration
    /// The longest the upstream may take to answer with its response head (→ 504 when over).
    public var responseTimeout: Duration
    /// The most connections open to the upstream at a time; requests beyond them wait for one, first come first
    /// served, at most ``responseTimeout`` (→ 504 when over). HTTP/2 needs one.
    public var maxConnections: Int
    /// The most requests waiting for one of the ``maxConnections`` (HTTP/1.1) or of the upstream's concurrent
    /// streams (HTTP/2); one more is answered 503 at once (0: none waits).
    public var maxWaitingRequests: Int
    /// How the client's certificate is forwarded.
    public var forwardClientCertificate: ClientCertificateForwarding
    /// The largest response body passed back; `nil` (the default) for no bound — the body streams, so its size
    /// does not bound the gateway's memory. Over it: a 502 when the upstream announces the length, else the client's
    /// response is broken off where the body grows past it.
    public var maxResponseBodySize: Int?
    /// The key path of this entry in the file, for errors found later.
    public var keyPath: String

    /// Creates an upstream; `keyPath` locates it in errors.
    public init(
        name: String,
        url: UpstreamURL,
        tls: TLS = TLS(),
        protocols: [String] = ["h2", "http/1.1"],
        connectTimeout: Duration = Self.defaultConnectTimeout,
        responseTimeout: Duration = Self.defaultResponseTimeout,
        maxConnections: Int = Self.defaultMaxConnections,
        maxWaitingRequests: Int = Self.defaultMaxWaitingRequests,
        forwardClientCertificate: ClientCertificateForwarding = .none,
        maxResponseBodySize: Int? = nil,
        keyPath: String = "upstreams"
    ) {
        self.name = name
        self.url = url
        self.tls = tls
        self.protocols = protocols
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxConnections = maxConnections
        self.maxWaitingRequests = maxWaitingRequests
        self.forwardClientCertificate = forwardClientCertificate
        self.maxResponseBodySize = maxResponseBodySize
        self.keyPath = keyPath
    }

    /// The client settings for this upstream.
    public var clientConfiguration: ClientConfiguration {
        var configuration = ClientConfiguration(
            identity: self.tls.certificate.map { certificate in
                .pem(certificateChainFile: certificate, privateKeyFile: self.tls.privateKey ?? certificate)
            },
            trustedCAFiles: self.tls.trustedCAs,
            httpVersion: self.httpVersion,
            timeout: self.responseTimeout
        )
        configuration.serverName = self.tls.serverName
        configuration.connectTimeout = self.connectTimeout
        configuration.responseTimeout = self.responseTimeout
        configuration.maxConnectionsPerOrigin = self.maxConnections
        configuration.maxWaitingRequestsPerOrigin = self.maxWaitingRequests
        return configuration
    }

    private var httpVersion: ClientConfiguration.HTTPVersionPreference {
        switch (self.protocols.contains("h2"), self.protocols.contains("http/1.1")) {
        case (true, false): .http2
        case (false, true): .http1_1
        default: .automatic
        }
    }
}
