import HTTPTypes
public import GatehouseTransport

/// Runs an ``Authenticator`` in front of a route: an identity goes into the context and the request
/// continues; no identity ends the chain with `rejection`. A refusal the authenticator only reports goes into
/// ``Transport/RequestContext/reportedRefusal`` and the request continues without an identity.
public struct AuthenticationMiddleware<Authenticating: Authenticator>: Middleware {
    private let authenticator: Authenticating
    private let rejection: @Sendable () -> Response

    /// Wraps `authenticator`.
    /// - Parameter rejection: the response when the authenticator returns `nil` (it may also throw its own).
    public init(
        _ authenticator: Authenticating,
        rejection: @escaping @Sendable () -> Response = defaultRejection
    ) {
        self.authenticator = authenticator
        self.rejection = rejection
    }

    /// The default rejection: 403 `Forbidden`.
    @Sendable public static func defaultRejection() -> Response {
        .problem(status: .forbidden, title: "Forbidden")
    }

    public func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        let outcome = try await self.authenticator.decide(request, context: context)
        var context = context
        guard Self.admit(outcome, into: &context) else { return self.rejection() }
        return try await next.respond(to: request, context: context)
    }

    public func handleImmediately(_ request: Request, context: RequestContext, next: any Responder) throws -> Response? {
        guard let outcome = try self.authenticator.decideImmediately(request, context: context) else { return nil }
        var context = context
        guard Self.admit(outcome, into: &context) else { return self.rejection() }
        return try next.respondImmediately(to: request, context: context)
    }

    /// Whether the request continues after `outcome`; an identity or a reported refusal goes into `context`.
    private static func admit(
        _ outcome: AuthenticationOutcome<Authenticating.Identity>,
        into context: inout RequestContext
    ) -> Bool {
        switch outcome {
        case .identified(let identity):
            context.identity = identity
            return true
        case .admittedWithoutIdentity:
            return true
        case .reported(let refusal):
            context.reportedRefusal = refusal
            return true
        case .notAuthenticated:
            return false
        }
    }
}
