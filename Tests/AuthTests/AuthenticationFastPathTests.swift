import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import NIOCore
import TestSupport
import Testing

/// Answers with the subject of the identity in the context, on both paths.
private struct SubjectEcho: ImmediateResponder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { Self.answer(context) }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { Self.answer(context) }

    private static func answer(_ context: RequestContext) -> Response {
        .text(context.identity(as: ClientCertificateIdentity.self)?.subject.description ?? "-")
    }
}

/// Answers `<verified subject or -> | <reported subject or -> <reason or ->`, on both paths.
private struct IdentityAndRefusalEcho: ImmediateResponder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { Self.answer(context) }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { Self.answer(context) }

    private static func answer(_ context: RequestContext) -> Response {
        let verified = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "-"
        let refusal = context.reportedRefusal(of: ClientCertificateIdentity.self)
        return .text("\(verified) | \(refusal?.identity?.subject ?? "-") \(refusal?.reason ?? "-")")
    }
}

/// A user's authenticator: only `authenticate`, the one requirement.
private struct AsyncOnlyAuthenticator: Authenticator {
    func authenticate(_ request: Request, context: RequestContext) async throws -> AuthenticationResult<String> {
        .authenticated("someone")
    }
}

@Suite struct AuthenticationFastPathTests {
    /// How the middleware is made: the generic `AuthenticationMiddleware`, or the authenticator's own concrete one.
    enum Construction: CaseIterable {
        case generic, concrete

        func middleware(_ authenticator: ClientCertificateAuthenticator) throws -> any ImmediateMiddleware {
            switch self {
            case .generic: AuthenticationMiddleware(authenticator)
            case .concrete: try #require(authenticator.middleware() as? any ImmediateMiddleware)
            }
        }
    }

    let pki: TestPKI
    let authenticator: ClientCertificateAuthenticator

    init() throws {
        self.pki = try TestPKI.shared()
        self.authenticator = try ClientCertificateAuthenticator(
            trustedCAFiles: [self.pki.rootCAFile],
            logger: quietLogger
        )
    }

    @Test(arguments: Construction.allCases)
    func aTrustedClientIsIdentifiedWithoutSuspending(_ construction: Construction) async throws {
        let middleware = try construction.middleware(self.authenticator)
        let context = context(presenting: self.pki.client.chain)
        let response = try #require(
            try middleware.handleImmediately(helloRequest, context: context, next: SubjectEcho())
        )
        #expect(String(buffer: response.body) == self.pki.client.certificate.subject.description)
        let slow = try await middleware.handle(helloRequest, context: context, next: SubjectEcho())
        #expect(String(buffer: slow.body) == self.pki.client.certificate.subject.description)
    }

    @Test(arguments: Construction.allCases)
    func anUntrustedClientIsRefusedOnTheFastPathAsOnTheSlowOne(_ construction: Construction) async throws {
        let middleware = try construction.middleware(self.authenticator)
        let chain = self.pki.identity(.strangerClient).chain
        let fast = try #require(
            try middleware.handleImmediately(helloRequest, context: context(presenting: chain), next: SubjectEcho())
        )
        let slow = try await middleware.handle(helloRequest, context: context(presenting: chain), next: SubjectEcho())
        for response in [fast, slow] {
            #expect(response.status.code == 403)
            #expect(response.status.reasonPhrase == "Invalid client certificate")
        }
    }

    /// Report mode lets a refused certificate through, but only as a reported refusal with its reason:
    /// `context.identity` holds verified callers only, on the fast path as on the slow one.
    @Test(arguments: Construction.allCases)
    func reportModeNeverPutsARefusedCertificateIntoTheIdentity(_ construction: Construction) async throws {
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [self.pki.rootCAFile]
        configuration.mode = .report
        let policy = try ClientCertificatePolicy.load(configuration, name: "report", relativeTo: nil)
        let reporting = ClientCertificateAuthenticator(policy: PolicyHandle(policy), logger: quietLogger)
        let middleware = try construction.middleware(reporting)
        let stranger = self.pki.strangerClient
        let expected = "- | \(stranger.certificate.subject) untrusted"
        let fast = try #require(
            try middleware.handleImmediately(
                helloRequest,
                context: context(presenting: stranger.chain),
                next: IdentityAndRefusalEcho()
            )
        )
        #expect(String(buffer: fast.body) == expected)
        let slow = try await middleware.handle(
            helloRequest,
            context: context(presenting: stranger.chain),
            next: IdentityAndRefusalEcho()
        )
        #expect(String(buffer: slow.body) == expected)
        guard
            case .refused(let refusal) = try await reporting.authenticate(
                helloRequest,
                context: context(presenting: stranger.chain)
            )
        else {
            Issue.record("report mode must refuse, reporting only")
            return
        }
        #expect(refusal.reason == "untrusted" && refusal.report is ReportedRefusal<ClientCertificateIdentity>)

        let trusted = try await middleware.handle(
            helloRequest,
            context: context(presenting: self.pki.client.chain),
            next: IdentityAndRefusalEcho()
        )
        #expect(String(buffer: trusted.body) == "\(self.pki.client.certificate.subject) | - -")
        let nobody = try await middleware.handle(
            helloRequest,
            context: context(presenting: []),
            next: IdentityAndRefusalEcho()
        )
        #expect(String(buffer: nobody.body) == "- | - no_certificate")
    }

    @Test func anAuthenticatorWithoutAFastPathLeavesTheRequestToTheTask() throws {
        let middleware = AuthenticationMiddleware(AsyncOnlyAuthenticator())
        let context = context(presenting: self.pki.client.chain)
        #expect(try middleware.handleImmediately(helloRequest, context: context, next: SubjectEcho()) == nil)
    }
}
