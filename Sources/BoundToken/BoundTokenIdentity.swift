public import Foundation

/// Who a certificate-bound access token says the caller is, after the token passed every check: signature, issuer,
/// audience, validity and its binding to the connection's client certificate (RFC 8705 §3).
///
/// A function reads it with `context.identity(as: BoundTokenIdentity.self)`.
public struct BoundTokenIdentity: Sendable, Hashable {
    /// The `sub` claim: whom the token was issued to.
    public let subject: String
    /// The `iss` claim: who issued the token (one of the configured issuers).
    public let issuer: String
    /// The `aud` claim, as a list.
    public let audiences: [String]
    /// The `exp` claim.
    public let expiresAt: Date
    /// The `kid` of the key that signed the token.
    public let keyID: String
    /// The signature algorithm, `ES256` or `RS256`.
    public let algorithm: String
    /// The `cnf` claim's `x5t#S256`: the base64url SHA-256 thumbprint of the certificate the token is bound to.
    public let certificateThumbprint: String
    /// Every claim of the token, by name, as it carried them (`scope`, `client_id`, custom claims).
    public let claims: [String: TokenClaimValue]

    /// Creates an identity; the authenticator makes them from verified tokens.
    public init(
        subject: String,
        issuer: String,
        audiences: [String],
        expiresAt: Date,
        keyID: String,
        algorithm: String,
        certificateThumbprint: String,
        claims: [String: TokenClaimValue]
    ) {
        self.subject = subject
        self.issuer = issuer
        self.audiences = audiences
        self.expiresAt = expiresAt
        self.keyID = keyID
        self.algorithm = algorithm
        self.certificateThumbprint = certificateThumbprint
        self.claims = claims
    }

    /// The space-separated `scope` claim (RFC 8693 §4.2) as a set; empty without one.
    public var scopes: Set<String> {
        guard let scope = self.claims["scope"]?.stringValue else { return [] }
        return Set(scope.split(separator: " ").map(String.init))
    }
}
