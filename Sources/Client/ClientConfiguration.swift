public import GatehouseTransport

/// The settings of an ``HTTPClient``: who the client is, whom it trusts and which HTTP version it speaks.
///
/// Strict by default: the server's chain and name are verified against ``trustedCAFiles`` (or the system's CAs when
/// empty), TLS 1.2 or newer.
///
/// ```swift
/// let configuration = ClientConfiguration(
///     identity: .pem(certificateChainFile: "pki/client.crt", privateKeyFile: "pki/client.key"),
///     trustedCAFiles: ["pki/ca.crt"])
/// ```
public struct ClientConfiguration: Sendable, Hashable {
    /// Which HTTP version the client asks for with ALPN.
    public enum HTTPVersionPreference: Sendable, Hashable {
        /// Offer `h2` and `http/1.1`; the server picks.
        case automatic
        /// Offer only `http/1.1`.
        // Version numbers as written (NIO spells them the same way).
        // swift-format-ignore: AlwaysUseLowerCamelCase
        case http1_1
        /// Offer only `h2`; a server that does not choose it is an error.
        case http2
    }

    /// The client certificate and key presented when the server asks; `nil` to present none.
    public var identity: TLSIdentity?
    /// PEM files (or directories) with the CAs the server's chain must verify to; empty means the system's CAs.
    public var trustedCAFiles: [String]
    /// Which HTTP version to ask for.
    public var httpVersion: HTTPVersionPreference
    /// The longest a connection attempt (TCP and TLS handshake) or a request (until its whole response has
    /// arrived) may take.
    public var timeout: Duration
    /// Whether the server's chain and name are verified. Turning it off is for tests and debugging only.
    public var verifyServer: Bool
    /// The lowest TLS version offered.
    public var minimumTLSVersion: TLSVersion
    /// The highest TLS version offered.
    public var maximumTLSVersion: TLSVersion
    /// The name sent with SNI and checked against the server's certificate, when it differs from the URL's host
    /// (a gateway that connects to `127.0.0.1` and expects `orders.internal`); `nil` uses the URL's host.
    public var serverName: String?
    /// The longest the TCP connection and TLS handshake may take; `nil` uses ``timeout``.
    public var connectTimeout: Duration?
    /// The longest a request may wait for its response (a collected response: all of it; a streamed one: its
    /// head, then each next piece of its body the reader waits for); `nil` uses ``timeout``. While a streamed request
    /// body is sent, it runs only while a piece waits for the server to take it: the caller's pauses between pieces
    /// do not count, so a long or slow upload is not cut off by it.
    public var responseTimeout: Duration?
    /// The most connections open to one origin at a time; a request that finds them all busy waits for one (first
    /// come, first served; at most ``responseTimeout``, then ``ClientError/Code/timeout``). HTTP/2 needs one; `nil`
    /// sets no bound.
    public var maxConnectionsPerOrigin: Int?
    /// The most requests waiting for a connection to one origin at ``maxConnectionsPerOrigin`` or, on HTTP/2, for
    /// one of the server's concurrent streams (its SETTINGS_MAX_CONCURRENT_STREAMS); one more fails at once with
    /// ``ClientError/Code/connectionsBusy`` (0: none waits). `nil` sets no bound.
    public var maxWaitingRequestsPerOrigin: Int?

    /// Creates client settings.
    public init(
        identity: TLSIdentity? = nil,
        trustedCAFiles: [String] = [],
        httpVersion: HTTPVersionPreference = .automatic,
        timeout: Duration = .seconds(30),
        verifyServer: Bool = true,
        minimumTLSVersion: TLSVersion = .v1_2,
        maximumTLSVersion: TLSVersion = .v1_3
    ) {
        self.identity = identity
        self.trustedCAFiles = trustedCAFiles
        self.httpVersion = httpVersion
        self.timeout = timeout
        self.verifyServer = verifyServer
        self.minimumTLSVersion = minimumTLSVersion
        self.maximumTLSVersion = maximumTLSVersion
    }

    /// The connect and handshake timeout in effect.
    var effectiveConnectTimeout: Duration { self.connectTimeout ?? self.timeout }

    /// The response timeout in effect.
    var effectiveResponseTimeout: Duration { self.responseTimeout ?? self.timeout }

    /// The ALPN protocols offered for ``httpVersion``.
    var applicationProtocols: [String] {
        switch self.httpVersion {
        case .automatic: ["h2", "http/1.1"]
        case .http1_1: ["http/1.1"]
        case .http2: ["h2"]
        }
    }

    /// The TLS settings for a connection to `serverName`.
    func tlsConfiguration(serverName: String?) -> TLSClientConfiguration {
        TLSClientConfiguration(
            identity: self.identity,
            trustedCAFiles: self.trustedCAFiles,
            verifyServer: self.verifyServer,
            applicationProtocols: self.applicationProtocols,
            serverName: self.serverName ?? serverName,
            minimumVersion: self.minimumTLSVersion,
            maximumVersion: self.maximumTLSVersion
        )
    }
}
