import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import Logging
import NIOCore
import TestSupport
import Testing

/// A request context for a connection whose client sent `chain`.
func context(presenting chain: [Certificate], store: ConnectionStore = ConnectionStore()) -> RequestContext {
    let tls = TLSSessionInfo(
        protocolVersion: "TLSv1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        alpn: "h2",
        peerCertificates: chain,
        verifyResult: nil,
        isResumed: false
    )
    let info = ConnectionInfo(id: 7, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls)
    return RequestContext(connection: info, connectionStore: store)
}

let helloRequest = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/api/hello"))
let quietLogger = Logger(label: "auth-tests") { _ in SwiftLogNoOpLogHandler() }

extension ClientCertificateAuthenticator {
    /// The identity the authenticator accepts; its refusal, or its challenge when it does not apply, thrown.
    func identity(_ request: Request, context: RequestContext) async throws -> ClientCertificateIdentity? {
        switch try await self.authenticate(request, context: context) {
        case .authenticated(let identity): identity
        case .notApplicable(let challenge): throw challenge
        case .refused(let refusal): throw refusal
        }
    }
}

@Suite struct ClientCertificateAuthenticatorTests {
    let pki: TestPKI
    let authenticator: ClientCertificateAuthenticator

    init() throws {
        self.pki = try TestPKI.shared()
        self.authenticator = try ClientCertificateAuthenticator(
            trustedCAFiles: [self.pki.rootCAFile],
            logger: quietLogger
        )
    }

    @Test func acceptsAChainToTheTrustedRoot() async throws {
        let identity = try await self.authenticator.identity(
            helloRequest,
            context: context(presenting: self.pki.client.chain)
        )
        #expect(identity?.subject == self.pki.client.certificate.subject)
        #expect(identity?.sha256Thumbprint == self.pki.client.certificate.sha256.hexString)
    }

    @Test(arguments: [
        (TestPKI.Client.strangerClient, ClientCertificateRejection.Reason.untrusted),
        (.selfSignedClient, .untrusted),
        (.expiredClient, .expired),
        (.notYetValidClient, .notYetValid),
    ])
    func refusesWithAReason(client: TestPKI.Client, reason: ClientCertificateRejection.Reason) async throws {
        let chain = self.pki.identity(client).chain
        let error = await #expect(throws: AuthenticationRefusal.self) {
            try await self.authenticator.identity(helloRequest, context: context(presenting: chain))
        }
        #expect(error?.reason == reason.description)
        #expect(error?.response.status.code == 403)
        #expect(error?.response.status.reasonPhrase == "Invalid client certificate")
    }

    /// No certificate is no credential of this kind: another authenticator may apply; the challenge is the 403.
    @Test func noCertificateDoesNotApplyAndItsChallengeIsThe403() async throws {
        guard
            case .notApplicable(let challenge) = try await self.authenticator.authenticate(
                helloRequest,
                context: context(presenting: [])
            )
        else {
            Issue.record("no certificate must not apply")
            return
        }
        #expect(challenge.reason == ClientCertificateRejection.Reason.noCertificate.description)
        #expect(challenge.response.status.code == 403)
        #expect(challenge.response.status.reasonPhrase == "Invalid client certificate")
    }

    @Test func leafWithoutItsIntermediateIsUntrusted() async throws {
        let error = await #expect(throws: AuthenticationRefusal.self) {
            try await self.authenticator.identity(
                helloRequest,
                context: context(presenting: [self.pki.client.certificate])
            )
        }
        #expect(error?.reason == ClientCertificateRejection.Reason.untrusted.description)
    }

    @Test func theReasonIsInTheBodyOnlyWhenExposed() async throws {
        let exposing = try ClientCertificateAuthenticator(
            trustedCAFiles: [self.pki.rootCAFile],
            exposeFailureReason: true,
            logger: quietLogger
        )
        let chain = self.pki.strangerClient.chain
        let hidden = await #expect(throws: AuthenticationRefusal.self) {
            try await self.authenticator.identity(helloRequest, context: context(presenting: chain))
        }
        let shown = await #expect(throws: AuthenticationRefusal.self) {
            try await exposing.identity(helloRequest, context: context(presenting: chain))
        }
        #expect(String(buffer: try #require(hidden).response.body).contains("untrusted") == false)
        #expect(String(buffer: try #require(shown).response.body).contains("untrusted"))
    }

    @Test func theDecisionIsMadeOncePerConnection() async throws {
        let store = ConnectionStore()
        let first = context(presenting: self.pki.client.chain, store: store)
        _ = try await self.authenticator.identity(helloRequest, context: first)
        // A second request on the same connection reuses the decision even if the facts were different.
        let second = context(presenting: [], store: store)
        let identity = try await self.authenticator.identity(helloRequest, context: second)
        #expect(identity?.subject == self.pki.client.certificate.subject)
        // Another authenticator on the same connection decides for itself.
        let other = try ClientCertificateAuthenticator(trustedCAFiles: [self.pki.strangerCAFile], logger: quietLogger)
        await #expect(throws: AuthenticationRefusal.self) {
            try await other.identity(helloRequest, context: second)
        }
    }

    @Test func middlewarePutsTheIdentityIntoTheContext() async throws {
        let middleware = AuthenticationMiddleware(self.authenticator)
        let responder = ClosureResponder { _, context in
            .text(context.identity(as: ClientCertificateIdentity.self)?.subject ?? "none")
        }
        let response = try await middleware.handle(
            helloRequest,
            context: context(presenting: self.pki.client.chain),
            next: responder
        )
        #expect(String(buffer: response.body) == self.pki.client.certificate.subject)
    }
}
