/// The settings of a TLS client (tests, the `call` command, an mTLS client).
///
/// Verifies the server by default: set ``verifyServer`` to `false` explicitly to skip it.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// The client certificate and key to present when the server asks; `nil` to present none.
    public var identity: TLSIdentity?
    /// PEM files (or directories) with the CAs the server's chain must verify to; empty means the system's
    /// default CA paths.
    public var trustedCAFiles: [String]
    /// Whether the server's chain and name are verified. Turning it off is for tests and debugging only.
    public var verifyServer: Bool
    /// ALPN protocols to offer, most preferred first; empty to offer none.
    public var applicationProtocols: [String]
    /// The server's name for SNI and name verification (a DNS name or an IP address); `nil` for neither.
    public var serverName: String?
    /// The lowest version offered.
    public var minimumVersion: TLSVersion
    /// The highest version offered.
    public var maximumVersion: TLSVersion

    /// Creates client settings.
    public init(
        identity: TLSIdentity? = nil,
        trustedCAFiles: [String] = [],
        verifyServer: Bool = true,
        applicationProtocols: [String] = ["h2", "http/1.1"],
        serverName: String? = nil,
        minimumVersion: TLSVersion = .v1_2,
        maximumVersion: TLSVersion = .v1_3
    ) {
        self.identity = identity
        self.trustedCAFiles = trustedCAFiles
        self.verifyServer = verifyServer
        self.applicationProtocols = applicationProtocols
        self.serverName = serverName
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }
}
