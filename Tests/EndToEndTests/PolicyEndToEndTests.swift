import GatehouseAuth
import GatehouseCertificates
import Foundation
import TestSupport
import Testing

@Suite("Client-certificate policies over real sockets and curl")
struct PolicyEndToEndTests {
    func authenticator(_ configure: (inout PolicyConfiguration, PolicyTestPKI) -> Void) throws -> ClientCertificateAuthenticator {
        let pki = try PolicyTestPKI.shared()
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [pki.base.rootCAFile]
        configure(&configuration, pki)
        let policy = try ClientCertificatePolicy.load(configuration, name: "e2e", relativeTo: nil)
        return ClientCertificateAuthenticator(policy: PolicyHandle(policy), logger: TestServer.quietLogger)
    }

    @Test func whoamiOverHTTP2ReturnsTheIdentity() async throws {
        let auth = try self.authenticator { c, _ in c.identities = [IdentityConfiguration.commonNamed("client")] }
        try await withPolicyTestServer(authenticator: auth) { server in
            let result = try await server.curl(as: server.pki.client).run(server.url("/api/whoami"), ["--http2"])
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.httpVersion == "2")
            let json = try #require(try JSONSerialization.jsonObject(with: result.body) as? [String: Any])
            #expect(json["sha256"] as? String == server.pki.client.certificate.sha256.hexString)
            #expect((json["matchedIdentity"] as? [String: Any])?["index"] as? Int == 0)
        }
    }

    @Test func aPinnedSelfSignedClientPassesWithTrustValidationOn() async throws {
        let auth = try self.authenticator { c, pki in c.certificates = [pki.allowListDirectory] }
        try await withPolicyTestServer(authenticator: auth) { server in
            let pinned = try await server.curl(as: server.pki.selfSignedClient).run(server.url("/api/hello?name=pin"))
            #expect(pinned.status == 200, "\(pinned.stderr)")
            #expect(pinned.text == "Hello, pin.")
            let other = try await server.curl(as: server.pki.client).run(server.url("/api/hello"))
            #expect(other.status == 403)
        }
    }

    @Test func aRevokedClientGets403WithTheReasonWhenExposed() async throws {
        let auth = try self.authenticator { c, pki in
            c.validateRevocation = true
            c.crls = [pki.intermediateCRLFile]
            c.exposeFailureReason = true
        }
        let revoked = try PolicyTestPKI.shared().revokedClient
        try await withPolicyTestServer(authenticator: auth) { server in
            let result = try await server.curl(as: revoked).run(server.url("/api/hello"), ["--http1.1"])
            #expect(result.status == 403)
            #expect(result.headers.hasPrefix("HTTP/1.1 403 Invalid client certificate\r\n"))
            #expect(result.text.contains("revoked"))
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
