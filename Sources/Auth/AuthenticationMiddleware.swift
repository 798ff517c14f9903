public import HTTPTypes
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
        rejection: @escaping @Sendable () -> Response = { .problem(status: .forbidden, title: "Forbidden") }
    ) {
        self.authenticator = authenticator
        self.rejection = rejection
    }

    public func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        switch try await self.authenticator.decide(request, context: context) {
        case .identified(let identity):
            var context = context
            context.identity = identity
            return try await next.respond(to: request, context: context)
        case .admittedWithoutIdentity:
            return try await next.respond(to: request, context: context)
        case .notAuthenticated:
            return self.rejection()
        }
    }
}
