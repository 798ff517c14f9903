import Foundation
import GatehouseCertificates
import GatehouseClient
import HTTPTypes
import TestSupport
import Testing

/// A policy in `report` mode over real sockets: a certificate the policy would refuse passes, but functions never
/// see it as a verified identity.
@Suite("Report mode: through, but not verified")
struct ReportModeEndToEndTests {
    static let yaml = """
        listeners:
          - host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            limits: { handshakeTimeout: 60s }
        policies:
          partners:
            trustedCAs: [pki/ca.crt]
            mode: report
        routes:
          - { path: /api/whoami, function: whoami, policy: partners }
          - { path: /api/hello, function: hello, policy: partners }
        """

    static let versions: [ClientConfiguration.HTTPVersionPreference] = [.http1_1, .http2]

    func json(_ response: ClientResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])
    }

    @Test(arguments: Self.versions)
    func aStrangerPassesButWhoamiSaysUnverifiedWithTheReason(_ version: ClientConfiguration.HTTPVersionPreference)
        async throws
    {
        let log = CapturedLog()
        try await GatehouseTestServer.withServer(configuration: Self.yaml, logger: log.logger) { server in
            let stranger = try server.client(.untrusted, httpVersion: version)
            let result = try await stranger.get("/api/whoami")
            #expect(result.status.code == 200, "\(result.bodyText)")
            let json = try self.json(result)
            #expect(json["verified"] as? Bool == false)
            #expect(json["reason"] as? String == "untrusted")
            #expect(json["subject"] as? String == server.pki.strangerClient.certificate.subject)
            #expect(json["sha256"] as? String == server.pki.strangerClient.certificate.sha256.hexString)
            #expect(
                !log.lines(containing: "would be rejected (report mode)", "reason=untrusted").isEmpty,
                "\(log.lines)"
            )

            let hello = try await stranger.get("/api/hello?name=x")
            #expect(hello.status.code == 200, "\(hello.bodyText)")
            #expect(hello.bodyText == "Hello, x.")
        }
    }

    @Test(arguments: Self.versions)
    func aTrustedClientIsVerified(_ version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await GatehouseTestServer.withServer(configuration: Self.yaml) { server in
            let result = try await server.client(httpVersion: version).get("/api/whoami")
            #expect(result.status.code == 200, "\(result.bodyText)")
            let json = try self.json(result)
            #expect(json["verified"] as? Bool == true)
            #expect(json["reason"] == nil)
            #expect(json["subject"] as? String == server.pki.client.certificate.subject)
        }
    }

    @Test func withoutACertificateThereIsNothingToDescribe() async throws {
        try await GatehouseTestServer.withServer(configuration: Self.yaml) { server in
            let anonymous = try server.client(.none)
            #expect(try await anonymous.get("/api/whoami").status.code == 403)
            #expect(
                try await anonymous.get("/api/hello?name=anonymous").status.code == 200,
                "report mode lets it through"
            )
        }
    }
}
