public import GatehouseTransport

/// Decides who is calling: the caller proved an identity, presented no credential of this kind, or presented one
/// that is refused.
///
/// ``AuthenticationMiddleware`` runs a route's authenticators in order: the first that authenticates puts its
/// identity into the context; one that does not apply lets the next try; a refusal ends the request.
///
/// ```swift
/// struct APIKeyAuthenticator: Authenticator {
///     let key: String
///     func authenticate(_ request: Request, context: RequestContext) async throws -> AuthenticationResult<String> {
///         guard let presented = request.headerFields[HTTPField.Name("X-API-Key")!] else {
///             return .notApplicable(challenge: .unauthorized(challenge: "ApiKey", reason: "missing_api_key"))
///         }
///         guard presented == self.key else { return .refused(.unauthorized(challenge: "ApiKey", reason: "invalid_api_key")) }
///         return .authenticated("api-key")
///     }
/// }
/// ```
public protocol Authenticator<Identity>: Sendable {
    /// What a successful authentication yields; added to the context (``RequestContext/identity(as:)``).
    associatedtype Identity: Sendable

    /// Authenticates the caller of `request`.
    /// - Throws: to end the request (an ``HTTPResponseError`` chooses the response; anything else is a 500).
    func authenticate(_ request: Request, context: RequestContext) async throws -> AuthenticationResult<Identity>
}

/// What an ``Authenticator`` found out about one request.
public enum AuthenticationResult<Identity: Sendable>: Sendable {
    /// The caller proved who it is: the request continues with this identity in the context.
    case authenticated(Identity)
    /// The request carries no credential of this authenticator's kind: the next authenticator tries. When none
    /// authenticates, the route answers the first `challenge` (e.g. 401 with `WWW-Authenticate`).
    case notApplicable(challenge: AuthenticationRefusal)
    /// The caller's credential is refused: the request ends with the refusal's response — unless the refusal
    /// only reports (``AuthenticationRefusal/report``).
    case refused(AuthenticationRefusal)
}

/// A synchronous authenticator: decided without suspending, so that ``AuthenticationMiddleware`` can answer on the
/// connection's fast path (see ``ImmediateResponder``). The client-certificate authenticator is.
package protocol ImmediateAuthenticator: Authenticator {
    /// As ``Authenticator/authenticate(_:context:)``, without suspending; `nil` when this request needs the
    /// asynchronous path (e.g. an OCSP responder must be asked), which must then leave no trace.
    func authenticateImmediately(_ request: Request, context: RequestContext) throws -> AuthenticationResult<Identity>?
}
