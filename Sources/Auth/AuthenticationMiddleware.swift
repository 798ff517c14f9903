public import GatehouseTransport

/// Runs a route's authenticators in order, in front of the rest of its chain.
///
/// The first authenticator that authenticates adds its identity to the context and the request continues; one that
/// does not apply (no credential of its kind) lets the next try; a refusal ends the request with its response. When
/// none authenticates, the route answers the first authenticator's challenge (403 `Invalid client certificate` for a
/// client-certificate policy, 401 with `WWW-Authenticate` for a scheme that has one). A refusal that only reports
/// (report mode) goes into ``Transport/RequestContext/reportedRefusal`` and, when nothing authenticates, lets the
/// request through without an identity.
///
/// Several middleware on one route must each pass: `[certificate.middleware(), AuthenticationMiddleware(apiKey)]`
/// needs both; `AuthenticationMiddleware(token, apiKey)` needs either.
public struct AuthenticationMiddleware: Middleware {
    private let authenticators: [AnyAuthenticator]
    /// Every authenticator's synchronous form when all have one, so the middleware has a fast path; decided once.
    private let immediateAuthenticators: [ImmediateAnyAuthenticator]?

    /// Runs `authenticators` in order; at least one.
    public init(_ authenticators: [any Authenticator]) {
        precondition(!authenticators.isEmpty, "AuthenticationMiddleware needs at least one authenticator")
        self.authenticators = authenticators.map { AnyAuthenticator($0) }
        let immediate = authenticators.compactMap { authenticator in
            (authenticator as? any ImmediateAuthenticator).map { ImmediateAnyAuthenticator($0) }
        }
        self.immediateAuthenticators = immediate.count == authenticators.count ? immediate : nil
    }

    /// Runs `first`, then each of `others` in order.
    public init(_ first: any Authenticator, _ others: any Authenticator...) {
        self.init([first] + others)
    }

    /// Runs the authenticators until one authenticates, then `next` with its identity in the context; a refusal
    /// ends the request, and so does the first challenge when none authenticates (unless a refusal was reported).
    public func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        var run = AuthenticationRun(context: context)
        for authenticator in self.authenticators {
            if let response = run.record(try await authenticator.authenticate(request, context)) { return response }
            if run.isAuthenticated { break }
        }
        if let response = run.refusal { return response }
        return try await next.respond(to: request, context: run.context)
    }
}

extension AuthenticationMiddleware: ImmediateMiddleware {
    package func handleImmediately(
        _ request: Request,
        context: consuming RequestContext,
        next: any ImmediateResponder
    ) throws -> Response? {
        guard let authenticators = self.immediateAuthenticators else { return nil }
        // A copy: each authenticator below reads the context as it came.
        var run = AuthenticationRun(context: copy context)
        for authenticator in authenticators {
            guard let result = try authenticator.authenticate(request, context) else { return nil }
            if let response = run.record(result) { return response }
            if run.isAuthenticated { break }
        }
        if let response = run.refusal { return response }
        return try next.respondImmediately(to: request, context: run.context)
    }
}

/// One request's way through a middleware's authenticators.
struct AuthenticationRun {
    private(set) var context: RequestContext
    private(set) var isAuthenticated = false
    private var challenge: AuthenticationRefusal?
    private var reported = false

    init(context: RequestContext) {
        self.context = context
    }

    /// Takes one authenticator's answer; the response that ends the request (a refusal), or `nil` to go on.
    mutating func record<Identity>(_ result: AuthenticationResult<Identity>) -> Response? {
        switch result {
        case .authenticated(let identity):
            self.context.addIdentity(identity)
            self.isAuthenticated = true
        case .notApplicable(let challenge):
            if self.challenge == nil { self.challenge = challenge }
        case .refused(let refusal):
            guard let report = refusal.report else { return refusal.response }
            self.context.reportedRefusal = report
            self.reported = true
        }
        return nil
    }

    /// The response when every authenticator has answered and none authenticated: the first challenge, unless a
    /// refusal was only reported (then the request goes on without an identity).
    var refusal: Response? {
        guard !self.isAuthenticated, !self.reported else { return nil }
        return self.challenge?.response ?? AuthenticationRefusal.forbidden(reason: "not_authenticated").response
    }
}

/// An authenticator with its identity type erased, built once per middleware.
private struct AnyAuthenticator: Sendable {
    let authenticate: @Sendable (Request, RequestContext) async throws -> AuthenticationResult<any Sendable>

    init<Base: Authenticator>(_ base: Base) {
        self.authenticate = { request, context in
            erased(try await base.authenticate(request, context: context))
        }
    }
}

/// A synchronous authenticator with its identity type erased.
private struct ImmediateAnyAuthenticator: Sendable {
    /// `nil` when the authenticator needs the asynchronous path for this request.
    let authenticate: @Sendable (Request, RequestContext) throws -> AuthenticationResult<any Sendable>?

    init(_ base: some ImmediateAuthenticator) {
        self.authenticate = { request, context in
            try base.authenticateImmediately(request, context: context).map(erased)
        }
    }
}

private func erased<Identity>(_ result: AuthenticationResult<Identity>) -> AuthenticationResult<any Sendable> {
    switch result {
    case .authenticated(let identity): .authenticated(identity)
    case .notApplicable(let challenge): .notApplicable(challenge: challenge)
    case .refused(let refusal): .refused(refusal)
    }
}
