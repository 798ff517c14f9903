import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseClient
import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import TestSupport
import Testing

@Suite("Client-certificate policies over real sockets")
struct PolicyEndToEndTests {
    /// `/api/hello` and `/api/whoami` behind a policy trusting the test root, changed by `configure`.
    func routes(_ configure: (inout PolicyConfiguration, PolicyTestPKI) -> Void) throws -> Router {
        let pki = try PolicyTestPKI.shared()
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [pki.base.rootCAFile]
        configure(&configuration, pki)
        let policy = try ClientCertificatePolicy.load(configuration, name: "e2e", relativeTo: nil)
        let authenticator = ClientCertificateAuthenticator(policy: PolicyHandle(policy), logger: TestServer.quietLogger)
        var routes = RouterBuilder()
        try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
        try routes.add("/api/whoami", function: WhoAmI(), middleware: [AuthenticationMiddleware(authenticator)])
        return routes.build()
    }

    @Test func whoamiOverHTTP2ReturnsTheIdentity() async throws {
        let routes = try self.routes { c, _ in c.identities = [IdentityConfiguration.commonNamed("client")] }
        try await GatehouseTestServer.withServer(router: routes) { server in
            let result = try await server.client(httpVersion: .http2).get("/api/whoami")
            #expect(result.status.code == 200, "\(result.bodyText)")
            #expect(result.httpVersion == .http2)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(result.bodyText.utf8)) as? [String: Any]
            )
            #expect(json["sha256"] as? String == server.pki.client.certificate.sha256.hexString)
            #expect((json["matchedIdentity"] as? [String: Any])?["index"] as? Int == 0)
        }
    }

    @Test func aPinnedSelfSignedClientPassesWithTrustValidationOn() async throws {
        let routes = try self.routes { c, pki in c.certificates = [pki.allowListDirectory] }
        try await GatehouseTestServer.withServer(router: routes) { server in
            let pinned = try await server.client(.selfSigned).get("/api/hello?name=pin")
            #expect(pinned.status.code == 200, "\(pinned.bodyText)")
            #expect(pinned.bodyText == "Hello, pin.")
            #expect(try await server.client(.client()).get("/api/hello").status.code == 403)
        }
    }

    @Test func aRevokedClientGets403WithTheReasonWhenExposed() async throws {
        let routes = try self.routes { c, pki in
            c.validateRevocation = true
            c.crls = [pki.intermediateCRLFile]
            c.exposeFailureReason = true
        }
        let revoked = try PolicyTestPKI.shared().revokedClient
        try await GatehouseTestServer.withServer(router: routes) { server in
            let result = try await server.client(.identity(revoked), httpVersion: .http1_1).get("/api/hello")
            #expect(result.statusLine == "HTTP/1.1 403 Invalid client certificate")
            #expect(result.bodyText.contains("revoked"))
        }
    }
}

extension IdentityConfiguration {
    static func commonNamed(_ name: String) -> IdentityConfiguration {
        var identity = IdentityConfiguration()
        identity.commonName = name
        return identity
    }
}
