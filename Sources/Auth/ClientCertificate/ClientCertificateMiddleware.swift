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
        switch try self.admission(request, context: context) {
        case .proceed(let context): try await next.respond(to: request, context: context)
        case .answer(let response): response
        }
    }

    func handleImmediately(_ request: Request, context: RequestContext, next: any ImmediateResponder) throws -> Response? {
        switch try self.admission(request, context: context) {
        case .proceed(let context): try next.respondImmediately(to: request, context: context)
        case .answer(let response): response
        }
    }

    private enum Admission {
        case proceed(RequestContext)
        case answer(Response)
    }

    /// What ``AuthenticationMiddleware`` does with this one authenticator's result.
    private func admission(_ request: Request, context: RequestContext) throws -> Admission {
        switch try self.authenticator.authenticateImmediately(request, context: context) {
        case .authenticated(let identity):
            var context = context
            context.addIdentity(identity)
            return .proceed(context)
        case .notApplicable(let challenge):
            return .answer(challenge.response)
        case .refused(let refusal):
            guard let report = refusal.report else { return .answer(refusal.response) }
            var context = context
            context.reportedRefusal = report
            return .proceed(context)
        }
    }
}
