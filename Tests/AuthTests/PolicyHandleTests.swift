import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import NIOCore
import TestSupport
import Testing

@Suite("Decisions per connection, per generation; report mode")
struct PolicyHandleTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }

    func authenticator(_ handle: PolicyHandle) -> ClientCertificateAuthenticator {
        let now = self.pki.base.referenceTime
        return ClientCertificateAuthenticator(policy: handle, logger: quietLogger, now: { now })
    }

    @Test func replacingThePolicyReEvaluatesOnTheNextRequestOfTheSameConnection() async throws {
        let handle = PolicyHandle(try makePolicy())
        let authenticator = self.authenticator(handle)
        let store = ConnectionStore()
        let chain = self.pki.base.client.chain
        #expect(handle.current.generation == 1)
        #expect(
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store)) != nil
        )
        // Same generation: cached, even though this context's facts differ.
        #expect(try await authenticator.identity(helloRequest, context: context(presenting: [], store: store)) != nil)
        handle.replace(with: try makePolicy { c, _ in c.identities = [identity { $0.commonName = "someone-else" }] })
        #expect(handle.current.generation == 2)
        let error = await #expect(throws: AuthenticationRefusal.self) {
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
        }
        #expect(error?.reason == ClientCertificateRejection.Reason.noIdentityMatched.description)
    }

    @Test func aCertificateRemovedFromTheAllowListIsRefusedOnTheNextRequest() async throws {
        let directory = (self.pki.base.directory as NSString).appendingPathComponent("reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let listed = (directory as NSString).appendingPathComponent("client.crt")
        try FileManager.default.copyItem(atPath: self.pki.base.client.certificateFile, toPath: listed)
        let load = { try makePolicy { c, _ in c.certificates = [directory] } }
        let handle = PolicyHandle(try load())
        let authenticator = self.authenticator(handle)
        let store = ConnectionStore()
        let chain = self.pki.base.client.chain
        #expect(
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store)) != nil
        )
        try FileManager.default.removeItem(atPath: listed)
        handle.replace(with: try load())
        let error = await #expect(throws: AuthenticationRefusal.self) {
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
        }
        #expect(error?.reason == ClientCertificateRejection.Reason.notOnAllowList.description)
    }

    @Test func reportModeLetsTheRequestThrough() async throws {
        let handle = PolicyHandle(try makePolicy { c, _ in c.mode = .report })
        let middleware = AuthenticationMiddleware(self.authenticator(handle))
        let responder = ClosureResponder { _, context in
            .text(context.identity(as: ClientCertificateIdentity.self)?.subject ?? "anonymous")
        }
        let stranger = try await middleware.handle(
            helloRequest,
            context: context(presenting: self.pki.base.strangerClient.chain),
            next: responder
        )
        #expect(String(buffer: stranger.body) == "anonymous", "a refused certificate is never the identity")
        let nobody = try await middleware.handle(helloRequest, context: context(presenting: []), next: responder)
        #expect(String(buffer: nobody.body) == "anonymous")
        let enforcing = AuthenticationMiddleware(self.authenticator(PolicyHandle(try makePolicy())))
        let refused = try await enforcing.handle(helloRequest, context: context(presenting: []), next: responder)
        #expect(refused.status.code == 403)
    }

    @Test func identityCarriesTheMatchedEntryAndDerivedValues() async throws {
        let entry = identity { $0.dnsName = "client.example" }
        let handle = PolicyHandle(try makePolicy { c, _ in c.identities = [identity { $0.commonName = "x" }, entry] })
        let caller = try #require(
            try await self.authenticator(handle).identity(
                helloRequest,
                context: context(presenting: self.pki.sanClient.chain)
            )
        )
        #expect(caller.matchedIdentity == ClientCertificateIdentity.MatchedIdentity(index: 1, configuration: entry))
        #expect(caller.spkiSHA256 == self.pki.sanClient.certificate.spkiSHA256.hexString)
        #expect(caller.daysUntilExpiry(at: self.pki.base.referenceTime) == 30)
        #expect(caller.leafPEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(caller.verifiedChain.count == 3)
    }
}
