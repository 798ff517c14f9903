import HTTPTypes
public import Transport

/// Runs an ``Authenticator`` in front of a route: an identity goes into the context and the request
/// continues; no identity ends the chain with `rejection`.
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
        guard let context = Self.context(after: outcome, context) else { return self.rejection() }
        return try await next.respond(to: request, context: context)
    }

    public func handleImmediately(_ request: Request, context: RequestContext, next: any Responder) throws -> Response? {
        guard let outcome = try self.authenticator.decideImmediately(request, context: context) else { return nil }
        guard let context = Self.context(after: outcome, context) else { return self.rejection() }
        return try next.respondImmediately(to: request, context: context)
    }

    /// The context the request continues with after `outcome`, or `nil` when it is rejected.
    private static func context(
        after outcome: AuthenticationOutcome<Authenticating.Identity>,
        _ context: RequestContext
    ) -> RequestContext? {
        switch outcome {
        case .identified(let identity):
            var context = context
            context.identity = identity
            return context
        case .admittedWithoutIdentity:
            return context
        case .notAuthenticated:
            return nil
        }
    }
}
