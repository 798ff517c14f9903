import GatehouseCertificates
import Foundation
import TestSupport
import Testing

/// A policy in `report` mode over real sockets and curl: a certificate the policy would refuse passes, but
/// functions never see it as a verified identity.
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

    func curl(_ folder: ConfigurationFolder, as identity: TestIdentity?) -> Curl {
        Curl(caFile: folder.pki.rootCAFile, clientCertificate: identity.map { ($0.chainFile, $0.keyFile) })
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func aStrangerPassesButWhoamiSaysUnverifiedWithTheReason(_ version: String) async throws {
        let folder = try ConfigurationFolder()
        let log = CapturedLog()
        try await withConfiguredServer(try folder.write(Self.yaml), logger: log.logger) { _, port in
            let stranger = folder.pki.strangerClient
            let result = try await self.curl(folder, as: stranger).run("https://127.0.0.1:\(port)/api/whoami", [version], timeout: 60)
            #expect(result.status == 200, "\(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: result.body) as? [String: Any])
            #expect(json["verified"] as? Bool == false)
            #expect(json["reason"] as? String == "untrusted")
            #expect(json["subject"] as? String == stranger.certificate.subject)
            #expect(json["sha256"] as? String == stranger.certificate.sha256.hexString)
            #expect(!log.lines(containing: "would be rejected (report mode)", "reason=untrusted").isEmpty, "\(log.lines)")

            let hello = try await self.curl(folder, as: stranger).run("https://127.0.0.1:\(port)/api/hello?name=x", [version], timeout: 60)
            #expect(hello.status == 200, "\(hello.stderr)")
            #expect(hello.text == "Hello, x.")
        }
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func aTrustedClientIsVerified(_ version: String) async throws {
        let folder = try ConfigurationFolder()
        try await withConfiguredServer(try folder.write(Self.yaml)) { _, port in
            let client = folder.pki.client
            let result = try await self.curl(folder, as: client).run("https://127.0.0.1:\(port)/api/whoami", [version], timeout: 60)
            #expect(result.status == 200, "\(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: result.body) as? [String: Any])
            #expect(json["verified"] as? Bool == true)
            #expect(json["reason"] == nil)
            #expect(json["subject"] as? String == client.certificate.subject)
        }
    }

    @Test func withoutACertificateThereIsNothingToDescribe() async throws {
        let folder = try ConfigurationFolder()
        try await withConfiguredServer(try folder.write(Self.yaml)) { _, port in
            let whoami = try await self.curl(folder, as: nil).run("https://127.0.0.1:\(port)/api/whoami", timeout: 60)
            #expect(whoami.status == 403, "\(whoami.stderr)")
            let hello = try await self.curl(folder, as: nil).run("https://127.0.0.1:\(port)/api/hello?name=anonymous", timeout: 60)
            #expect(hello.status == 200, "report mode lets it through: \(hello.stderr)")
        }
    }
}
