public import GatehouseTransport

/// Decides who is calling.
///
/// Returns an identity, `nil` to leave the decision to the next authenticator, or throws to stop the
/// request (an ``HTTPResponseError`` chooses the response, e.g. a 403).
public protocol Authenticator<Identity>: Sendable {
    /// What a successful authentication yields; put into ``RequestContext/identity``.
    associatedtype Identity: Sendable

    /// Authenticates the caller of `request`.
    func authenticate(_ request: Request, context: RequestContext) async throws -> Identity?

    /// Like ``authenticate(_:context:)``, but may also let a request through without a verified identity (a
    /// policy in report mode: ``AuthenticationOutcome/reported(_:)``). The default wraps
    /// ``authenticate(_:context:)``.
    func decide(_ request: Request, context: RequestContext) async throws -> AuthenticationOutcome<Identity>

    /// Like ``decide(_:context:)`` without suspending, when this authenticator can decide so; `nil` when it cannot
    /// (then `decide` is called). Lets ``AuthenticationMiddleware`` answer on the connection's fast path
    /// (``Responder/respondImmediately(to:context:)``). The default returns `nil`.
    func decideImmediately(_ request: Request, context: RequestContext) throws -> AuthenticationOutcome<Identity>?
}

/// What an ``Authenticator`` decided about one request.
public enum AuthenticationOutcome<Identity: Sendable>: Sendable {
    /// The caller is known: continue with this identity in the context.
    case identified(Identity)
    /// Continue without an identity.
    case admittedWithoutIdentity
    /// Continue without a verified identity: the caller failed, but the authenticator only reports (report
    /// mode). The refusal goes into ``Transport/RequestContext/reportedRefusal``, never into `identity`.
    case reported(ReportedRefusal<Identity>)
    /// Not authenticated: the middleware answers with its rejection.
    case notAuthenticated
}

extension Authenticator {
    public func decideImmediately(
        _ request: Request,
        context: RequestContext
    ) throws -> AuthenticationOutcome<Identity>? {
        nil
    }

    public func decide(_ request: Request, context: RequestContext) async throws -> AuthenticationOutcome<Identity> {
        guard let identity = try await self.authenticate(request, context: context) else { return .notAuthenticated }
        return .identified(identity)
    }
}
