import GatehouseAuth
import GatehouseCertificates
import HTTPTypes
import NIOCore
import TestSupport
import Testing
import GatehouseTransport

/// Answers with the subject of the identity in the context, on both paths.
private struct SubjectEcho: Responder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { Self.answer(context) }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { Self.answer(context) }

    private static func answer(_ context: RequestContext) -> Response {
        .text(context.identity(as: ClientCertificateIdentity.self)?.subject.description ?? "-")
    }
}

/// Answers `<verified subject or -> | <reported subject or -> <reason or ->`, on both paths.
private struct IdentityAndRefusalEcho: Responder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { Self.answer(context) }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { Self.answer(context) }

    private static func answer(_ context: RequestContext) -> Response {
        let verified = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "-"
        let refusal = context.reportedRefusal(of: ClientCertificateIdentity.self)
        return .text("\(verified) | \(refusal?.identity?.subject ?? "-") \(refusal?.reason ?? "-")")
    }
}

/// An authenticator written before the fast path existed: only `authenticate`.
private struct AsyncOnlyAuthenticator: Authenticator {
    func authenticate(_ request: Request, context: RequestContext) async throws -> String? { "someone" }
}

@Suite struct AuthenticationFastPathTests {
    /// How the middleware is made: the generic `AuthenticationMiddleware`, or the authenticator's own concrete one.
    enum Construction: CaseIterable {
        case generic, concrete

        func middleware(_ authenticator: ClientCertificateAuthenticator) -> any Middleware {
            switch self {
            case .generic: AuthenticationMiddleware(authenticator)
            case .concrete: authenticator.middleware()
            }
        }
    }

    let pki: TestPKI
    let authenticator: ClientCertificateAuthenticator

    init() throws {
        self.pki = try TestPKI.shared()
        self.authenticator = try ClientCertificateAuthenticator(trustedCAFiles: [self.pki.rootCAFile], logger: quietLogger)
    }

    @Test(arguments: Construction.allCases)
    func aTrustedClientIsIdentifiedWithoutSuspending(_ construction: Construction) async throws {
        let middleware = construction.middleware(self.authenticator)
        let context = context(presenting: self.pki.client.chain)
        let response = try #require(try middleware.handleImmediately(helloRequest, context: context, next: SubjectEcho()))
        #expect(String(buffer: response.body) == self.pki.client.certificate.subject.description)
        let slow = try await middleware.handle(helloRequest, context: context, next: SubjectEcho())
        #expect(String(buffer: slow.body) == self.pki.client.certificate.subject.description)
    }

    @Test(arguments: Construction.allCases)
    func anUntrustedClientIsRefusedOnTheFastPathAsOnTheSlowOne(_ construction: Construction) async throws {
        let middleware = construction.middleware(self.authenticator)
        let chain = self.pki.identity(.strangerClient).chain
        #expect(throws: ClientCertificateRejection.self) {
            try middleware.handleImmediately(helloRequest, context: context(presenting: chain), next: SubjectEcho())
        }
        await #expect(throws: ClientCertificateRejection.self) {
            try await middleware.handle(helloRequest, context: context(presenting: chain), next: SubjectEcho())
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
        let middleware = construction.middleware(reporting)
        let stranger = self.pki.strangerClient
        let expected = "- | \(stranger.certificate.subject) untrusted"
        let fast = try #require(try middleware.handleImmediately(
            helloRequest, context: context(presenting: stranger.chain), next: IdentityAndRefusalEcho()))
        #expect(String(buffer: fast.body) == expected)
        let slow = try await middleware.handle(helloRequest, context: context(presenting: stranger.chain), next: IdentityAndRefusalEcho())
        #expect(String(buffer: slow.body) == expected)
        #expect(try await reporting.authenticate(helloRequest, context: context(presenting: stranger.chain)) == nil)

        let trusted = try await middleware.handle(helloRequest, context: context(presenting: self.pki.client.chain), next: IdentityAndRefusalEcho())
        #expect(String(buffer: trusted.body) == "\(self.pki.client.certificate.subject) | - -")
        let nobody = try await middleware.handle(helloRequest, context: context(presenting: []), next: IdentityAndRefusalEcho())
        #expect(String(buffer: nobody.body) == "- | - no_certificate")
    }

    @Test func anAuthenticatorWithoutAFastPathLeavesTheRequestToTheTask() throws {
        let middleware = AuthenticationMiddleware(AsyncOnlyAuthenticator())
        let context = context(presenting: self.pki.client.chain)
        #expect(try middleware.handleImmediately(helloRequest, context: context, next: SubjectEcho()) == nil)
    }
}
