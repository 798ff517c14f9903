public import Foundation
public import GatehouseAuth
public import GatehouseTransport
import HTTPTypes
import JWTKit
public import Logging

/// Authenticates `Authorization: Bearer <JWT>` access tokens bound to the client certificate (RFC 8705 §3).
///
/// A token passes when its signature verifies with a key of the JWKS (ES256 or RS256, chosen by the header's `kid`,
/// the header's `alg` the key's own), its `iss` is the configured issuer, its `aud` names a configured audience,
/// `exp` and `nbf` hold within the leeway, it has a `sub`, and its `cnf` claim's `x5t#S256` is the thumbprint of the
/// client certificate on the connection. The identity is a ``BoundTokenIdentity``.
///
/// No bearer token: not applicable, with the challenge 401 `WWW-Authenticate: Bearer`. Any other failure refuses
/// with 401 `WWW-Authenticate: Bearer error="invalid_token", error_description="…"` and a problem body whose
/// `reason` is a ``TokenProblem`` code (`token_expired`, `token_binding_mismatch`, …).
///
/// ```swift
/// let tokens = try BoundTokenAuthenticator(
///     BoundTokenConfiguration(jwks: "/etc/gatehouse/idp.jwks.json", issuer: "https://idp.example", audiences: ["orders-api"]),
///     logger: logger
/// )
/// try routes.add("/api/orders", function: Orders(), middleware: [certificates.middleware(), AuthenticationMiddleware(tokens)])
/// ```
public struct BoundTokenAuthenticator: Authenticator {
    /// The configuration it was made from.
    public let configuration: BoundTokenConfiguration
    /// The keys read from ``BoundTokenConfiguration/jwks``.
    public let keySet: TokenKeySet
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// Reads the JWKS file and makes the authenticator.
    ///
    /// Reads a file: call at start-up or on reload, never on an event loop.
    /// - Parameter now: the clock `exp` and `nbf` are checked against.
    /// - Throws: ``BoundTokenError`` when the JWKS file cannot be read or holds a key it cannot use.
    public init(
        _ configuration: BoundTokenConfiguration,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.configuration = configuration
        self.keySet = try TokenKeySet(file: configuration.jwks)
        self.logger = logger
        self.now = now
    }

    /// Checks the request's bearer token; see the type's description.
    public func authenticate(
        _ request: Request,
        context: RequestContext
    ) async throws -> AuthenticationResult<BoundTokenIdentity> {
        let tokens = Self.bearerTokens(in: request.head.headerFields)
        guard let token = tokens.first else { return .notApplicable(challenge: TokenProblem.missingToken.refusal()) }
        let result: Result<BoundTokenIdentity, TokenProblem> =
            tokens.count > 1 ? .failure(.multipleTokens) : await self.validate(token, context: context)
        switch result {
        case .success(let identity):
            return .authenticated(identity)
        case .failure(let problem):
            self.logger.info(
                "bearer token refused",
                metadata: [
                    "reason": "\(problem.code)", "client_sha256": "\(context.connection.clientSHA256 ?? "-")",
                ]
            )
            return .refused(problem.refusal())
        }
    }

    /// The key the token's header names, when the key set has it and the header's `alg` is that key's. jwt-kit parses
    /// the header (unverified) so that an unknown `kid` or another algorithm is refused before any signature is
    /// checked.
    private func signingKey(of token: String) -> Result<TokenKeySet.Key, TokenProblem> {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse(Array(token.utf8), as: TokenClaims.self).header
        } catch {
            return .failure(.malformedToken)
        }
        guard let algorithm = header.alg, ["ES256", "RS256"].contains(algorithm) else {
            return .failure(.unsupportedAlgorithm)
        }
        guard header.fields["crit"] == nil else { return .failure(.unsupportedCritical) }
        guard let kid = header.kid, let keyAlgorithm = self.keySet.algorithm(ofKey: kid) else {
            return .failure(.unknownKey)
        }
        guard keyAlgorithm == algorithm else { return .failure(.unsupportedAlgorithm) }
        return .success(TokenKeySet.Key(id: kid, algorithm: algorithm))
    }

    /// The tokens of the `Authorization: Bearer` fields (the scheme compared without case, RFC 9110 §11.1); other
    /// schemes are not this authenticator's.
    static func bearerTokens(in fields: HTTPFields) -> [Substring] {
        fields[values: .authorization].compactMap { value in
            guard value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
            return value.dropFirst(7).drop(while: { $0 == " " })
        }
    }

    /// Every check of the type's description, in order; the first failure is the answer.
    private func validate(_ token: Substring, context: RequestContext) async -> Result<BoundTokenIdentity, TokenProblem>
    {
        guard token.utf8.count <= self.configuration.maxTokenSize else { return .failure(.tokenTooLarge) }
        let text = String(token)
        let kid: String
        let algorithm: String
        switch self.signingKey(of: text) {
        case .success(let key): (kid, algorithm) = (key.id, key.algorithm)
        case .failure(let problem): return .failure(problem)
        }
        let claims: TokenClaims
        do {
            claims = try await self.keySet.verify(text, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .malformedToken {
            return .failure(.malformedToken)
        } catch {
            return .failure(.invalidSignature)
        }
        let valid: TokenClaims.Valid
        switch claims.check(
            issuer: self.configuration.issuer,
            audiences: self.configuration.audiences,
            leeway: self.configuration.leeway,
            now: self.now()
        ) {
        case .success(let checked): valid = checked
        case .failure(let problem): return .failure(problem)
        }
        guard let presented = CertificateBinding.clientThumbprint(context) else {
            return .failure(.noClientCertificate)
        }
        guard presented == valid.confirmation else { return .failure(.bindingMismatch) }
        return .success(
            BoundTokenIdentity(
                subject: valid.subject,
                issuer: valid.issuer,
                audiences: valid.audiences,
                expiresAt: valid.expiresAt,
                keyID: kid,
                algorithm: algorithm,
                certificateThumbprint: valid.confirmation,
                claims: claims.claims
            )
        )
    }
}
