public import GatehouseTransport

extension ClientCertificateAuthenticator {
    /// An ``AuthenticationMiddleware`` running this authenticator alone, compiled for it.
    ///
    /// Behaves exactly as `AuthenticationMiddleware(self)` and is faster: it calls the authenticator directly, where
    /// the general middleware goes through a type-erased closure and a result with an erased identity.
    public func middleware() -> any Middleware {
        ClientCertificateMiddleware(authenticator: self)
    }
}

/// ``AuthenticationMiddleware`` for the built-in authenticator alone, as a concrete type so that its entry points
/// are specialised.
private struct ClientCertificateMiddleware: ImmediateMiddleware {
    let authenticator: ClientCertificateAuthenticator

    func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        var context = context
        let result = try await self.authenticator.authenticate(request, context: context)
        if let refusal = Self.admit(result, into: &context) { return refusal }
        return try await next.respond(to: request, context: context)
    }

    func handleImmediately(_ request: Request, context: consuming RequestContext, next: any ImmediateResponder) throws
        -> Response?
    {
        // `nil`: the policy's OCSP responder must be asked first, on the asynchronous path.
        guard let result = try self.authenticator.authenticateImmediately(request, context: context) else {
            return nil
        }
        if let refusal = Self.admit(result, into: &context) { return refusal }
        return try next.respondImmediately(to: request, context: context)
    }

    /// What ``AuthenticationMiddleware`` does with this one authenticator's result: the identity or a reported
    /// refusal goes into `context` and the request goes on (`nil`), or the answer that ends it.
    private static func admit(
        _ result: AuthenticationResult<ClientCertificateIdentity>,
        into context: inout RequestContext
    ) -> Response? {
        switch result {
        case .authenticated(let identity):
            context.addIdentity(identity)
            return nil
        case .notApplicable(let challenge):
            return challenge.response
        case .refused(let refusal):
            guard let report = refusal.report else { return refusal.response }
            context.reportedRefusal = report
            return nil
        }
    }
}
