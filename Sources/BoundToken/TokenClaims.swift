import Foundation
import JWTKit

/// A token's claims set, every member kept: decoded by jwt-kit once the signature verified.
///
/// `verify(using:)` checks nothing: ``TokenClaims/check(issuer:audiences:leeway:now:)`` does, with the
/// authenticator's clock and leeway, so that each failure has its own reason.
struct TokenClaims: JWTPayload {
    let claims: [String: TokenClaimValue]

    init(from decoder: any Decoder) throws {
        self.claims = try [String: TokenClaimValue](from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try self.claims.encode(to: encoder)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// What passed: the claims a ``BoundTokenIdentity`` is made of.
    struct Valid: Equatable {
        let subject: String
        let issuer: String
        let audiences: [String]
        let expiresAt: Date
        let confirmation: String
    }

    /// Checks, in order: `iss`, `aud`, `exp`, `nbf` (each time with `leeway`), `sub`, and that `cnf` holds an
    /// `x5t#S256` thumbprint; the first failure is the answer.
    func check(issuer: String, audiences: [String], leeway: Duration, now: Date) -> Result<Valid, TokenProblem> {
        let skew = TimeInterval(leeway.components.seconds) + TimeInterval(leeway.components.attoseconds) / 1e18
        guard let iss = self.claims["iss"]?.stringValue else { return .failure(.missingClaim("iss")) }
        guard iss == issuer else { return .failure(.wrongIssuer) }
        let aud: [String]
        switch self.claims["aud"] {
        case .string(let value): aud = [value]
        case .array(let values) where values.allSatisfy({ $0.stringValue != nil }):
            aud = values.compactMap(\.stringValue)
        default: return .failure(.missingClaim("aud"))
        }
        guard aud.contains(where: audiences.contains) else { return .failure(.wrongAudience) }
        guard let exp = self.claims["exp"]?.numberValue, exp.isFinite else { return .failure(.missingClaim("exp")) }
        guard now.timeIntervalSince1970 < exp + skew else { return .failure(.tokenExpired) }
        if let nbfValue = self.claims["nbf"] {
            guard let nbf = nbfValue.numberValue, nbf.isFinite else { return .failure(.missingClaim("nbf")) }
            guard now.timeIntervalSince1970 >= nbf - skew else { return .failure(.tokenNotYetValid) }
        }
        guard let sub = self.claims["sub"]?.stringValue, !sub.isEmpty else { return .failure(.missingClaim("sub")) }
        guard let confirmation = self.claims["cnf"]?.objectValue?["x5t#S256"]?.stringValue, !confirmation.isEmpty
        else { return .failure(.tokenNotBound) }
        return .success(
            Valid(
                subject: sub,
                issuer: iss,
                audiences: aud,
                expiresAt: Date(timeIntervalSince1970: exp),
                confirmation: confirmation
            )
        )
    }
}
