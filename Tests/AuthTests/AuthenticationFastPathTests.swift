import Auth
import Certificates
import HTTPTypes
import NIOCore
import TestSupport
import Testing
import Transport

/// Answers with the subject of the identity in the context, on both paths.
private struct SubjectEcho: Responder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { Self.answer(context) }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { Self.answer(context) }

    private static func answer(_ context: RequestContext) -> Response {
        .text(context.identity(as: ClientCertificateIdentity.self)?.subject.description ?? "-")
    }
}

/// An authenticator written before the fast path existed: only `authenticate`.
private struct AsyncOnlyAuthenticator: Authenticator {
    func authenticate(_ request: Request, context: RequestContext) async throws -> String? { "someone" }
}

@Suite struct AuthenticationFastPathTests {
    let pki: TestPKI
    let middleware: AuthenticationMiddleware<ClientCertificateAuthenticator>

    init() throws {
        self.pki = try TestPKI.shared()
        let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: [self.pki.rootCAFile], logger: quietLogger)
        self.middleware = AuthenticationMiddleware(authenticator)
    }

    @Test func aTrustedClientIsIdentifiedWithoutSuspending() throws {
        let context = context(presenting: self.pki.client.chain)
        let response = try #require(try self.middleware.handleImmediately(helloRequest, context: context, next: SubjectEcho()))
        #expect(String(buffer: response.body) == self.pki.client.certificate.subject.description)
    }

    @Test func anUntrustedClientIsRefusedOnTheFastPathAsOnTheSlowOne() async throws {
        let chain = self.pki.identity(.strangerClient).chain
        #expect(throws: ClientCertificateRejection.self) {
            try self.middleware.handleImmediately(helloRequest, context: context(presenting: chain), next: SubjectEcho())
        }
        await #expect(throws: ClientCertificateRejection.self) {
            try await self.middleware.handle(helloRequest, context: context(presenting: chain), next: SubjectEcho())
        }
    }

    @Test func anAuthenticatorWithoutAFastPathLeavesTheRequestToTheTask() throws {
        let middleware = AuthenticationMiddleware(AsyncOnlyAuthenticator())
        let context = context(presenting: self.pki.client.chain)
        #expect(try middleware.handleImmediately(helloRequest, context: context, next: SubjectEcho()) == nil)
    }
}
