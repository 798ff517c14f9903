public import GatehouseTransport

extension ClientCertificateAuthenticator {
    /// An ``AuthenticationMiddleware`` running this authenticator, compiled for it.
    ///
    /// Behaves exactly as `AuthenticationMiddleware(self)` and is faster: reached through the generic type's
    /// conformance, every request would look up `AuthenticationOutcome<ClientCertificateIdentity>`'s type metadata
    /// and copy values through witness tables.
    public func middleware(
        rejection: @escaping @Sendable () -> Response = AuthenticationMiddleware<Self>.defaultRejection
    ) -> any Middleware {
        ClientCertificateMiddleware(base: AuthenticationMiddleware(self, rejection: rejection))
    }
}

/// ``AuthenticationMiddleware`` for the built-in authenticator, as a concrete type so that its entry points are
/// specialised.
private struct ClientCertificateMiddleware: Middleware {
    let base: AuthenticationMiddleware<ClientCertificateAuthenticator>

    func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        try await self.base.handle(request, context: context, next: next)
    }

    func handleImmediately(_ request: Request, context: RequestContext, next: any Responder) throws -> Response? {
        try self.base.handleImmediately(request, context: context, next: next)
    }
}
