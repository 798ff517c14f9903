/// What a certificate-bound token authenticator accepts: the keys that may sign, the issuer, the audiences, and how
/// much clock skew to allow. Names follow the configuration file's keys (`type: boundToken`).
public struct BoundTokenConfiguration: Sendable, Hashable {
    /// The JWKS file (RFC 7517 §5) with the issuer's public keys, ES256 (EC P-256) or RS256 (RSA ≥ 2048 bits), each
    /// with a `kid`; an absolute path. Read when the authenticator is made, so again at every reload.
    public var jwks: String
    /// The `iss` a token must carry.
    public var issuer: String
    /// The audiences this service answers to: a token's `aud` must name at least one.
    public var audiences: [String]
    /// How far `exp` and `nbf` may be off: clock skew between the issuer and this server. 30 s by default.
    public var leeway: Duration
    /// The longest token accepted, in bytes; a longer one is refused before it is parsed. 8 KiB by default.
    public var maxTokenSize: Int

    /// The default ``leeway``: 30 s.
    public static let defaultLeeway: Duration = .seconds(30)
    /// The default ``maxTokenSize``: 8 KiB.
    public static let defaultMaxTokenSize = 8 * 1024

    /// Creates a configuration; `jwks` should be absolute.
    public init(
        jwks: String,
        issuer: String,
        audiences: [String],
        leeway: Duration = BoundTokenConfiguration.defaultLeeway,
        maxTokenSize: Int = BoundTokenConfiguration.defaultMaxTokenSize
    ) {
        self.jwks = jwks
        self.issuer = issuer
        self.audiences = audiences
        self.leeway = leeway
        self.maxTokenSize = maxTokenSize
    }
}
