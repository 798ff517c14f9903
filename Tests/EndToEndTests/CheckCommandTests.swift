import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import TestSupport
import Testing

/// `gatehouse check`: validates like `serve` without binding, summarises, warns; exit 0 when `serve` would start.
@Suite("`gatehouse check`", .serialized)
struct CheckCommandTests {
    func gatehouse(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/timeout", ["30", try builtExecutable("gatehouse")] + arguments)
    }

    /// The parsed `--json` document of a check that must succeed.
    func jsonReport(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let output = try await self.gatehouse(["check", "--config", file, "--json"])
        try #require(output.exitCode == 0, "\(output.stderr)", sourceLocation: sourceLocation)
        let json = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        return try #require(json as? [String: Any], "\(output.stdout)", sourceLocation: sourceLocation)
    }

    /// The `kind`s of the warnings of a `--json` document, with their keys.
    func warnings(_ report: [String: Any]) -> [String] {
        (report["warnings"] as? [[String: Any]] ?? []).map { "\($0["kind"] ?? "") \($0["key"] ?? "")" }
    }

    @Test func aGoodConfigurationIsSummarisedWithoutWarnings() async throws {
        let folder = try CheckFolder()
        let file = try folder.write(CheckFolder.yaml())
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stderr.isEmpty, "\(output.stderr)")
        let text = output.stdout
        let notAfter = ISO8601DateFormatter().string(from: folder.server.notAfter)
        let expected = [
            "Configuration: \(file)",
            "  listeners[0] public  127.0.0.1:8443  h2, http/1.1  client certificates: request",
            "    certificate   CN=server,O=Check Tests  until \(notAfter) (365 days)  DNS:localhost, IP:127.0.0.1, "
                + "IP:::1",
            "  routes[0]  GET /api/hello → policy partners → function hello",
            "  routes[1]  GET /healthz → no policy → function health",
            "  partners  enforce, 0 identities",
            "    trusted CA    CN=Check Root CA,O=Check Tests  until ",
            "    allow-list    CN=client-a,O=Check Tests  until ",
            "    CRL           CN=Check Root CA,O=Check Tests  next update ",
            "OK: gatehouse serve would start with this configuration (no warnings).\n",
        ]
        for line in expected { #expect(text.contains(line), "\(line)\nnot in:\n\(text)") }
        #expect(!text.contains("Warnings"), "\(text)")

        let report = try await self.jsonReport(file)
        #expect(report["ok"] as? Bool == true)
        #expect(report["configuration"] as? String == file)
        let listener = try #require((report["listeners"] as? [[String: Any]])?.first)
        let certificate = try #require(listener["certificate"] as? [String: Any])
        #expect(certificate["subject"] as? String == "CN=server,O=Check Tests")
        #expect(certificate["notAfter"] as? String == notAfter)
        #expect(certificate["sha256"] as? String == folder.server.sha256.hexString)
        let routes = try #require(report["routes"] as? [[String: Any]])
        #expect(
            routes.map { "\($0["path"] ?? "") \($0["policy"] ?? "-") \($0["function"] ?? "")" } == [
                "/api/hello partners hello", "/healthz - health",
            ]
        )
        let policy = try #require((report["policies"] as? [[String: Any]])?.first)
        #expect(
            (policy["allowList"] as? [[String: Any]])?.first?["sha256"] as? String == folder.client.sha256.hexString
        )
        #expect((policy["crls"] as? [[String: Any]])?.first?["daysRemaining"] as? Int == 6)
        #expect(self.warnings(report).isEmpty)
    }

    @Test func nothingIsBoundSoAPortInUseStillChecksOK() async throws {
        let busy = try ListeningSocket()
        let folder = try CheckFolder()
        let file = try folder.write(CheckFolder.yaml(port: busy.port))
        let check = try await self.gatehouse(["check", "--config", file])
        #expect(check.exitCode == 0, "\(check.stderr)")
        #expect(check.stdout.hasSuffix("OK: gatehouse serve would start with this configuration (no warnings).\n"))
        // The same file does not serve: the port really is taken.
        let serve = try await self.gatehouse(["serve", "--config", file])
        #expect(serve.exitCode == 1)
        #expect(serve.stderr.contains("the address is already in use"), "\(serve.stderr)")
    }

    @Test func aServerCertificateExpiringWithin30DaysIsAWarning() async throws {
        let folder = try CheckFolder()
        let soon = try folder.issueServer("soon", sans: [.ipAddress("127.0.0.1")], days: 10)
        let file = try folder.write(CheckFolder.yaml(certificate: "soon"))
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let date = ISO8601DateFormatter().string(from: soon.notAfter)
        #expect(
            output.stdout.contains(
                "  \(file):5: listeners[0].tls.certificate: the server certificate CN=soon,O=Check Tests expires in "
                    + "10 days (\(date)); renew it before then\n"
            ),
            "\(output.stdout)"
        )
        #expect(output.stdout.hasSuffix("(1 warning).\n"), "\(output.stdout)")
        #expect(self.warnings(try await self.jsonReport(file)) == ["expiresSoon listeners[0].tls.certificate"])
    }

    /// A PKCS#12 identity is read as the listener reads it: the leaf, then its chain without the root; a warning
    /// about it names the `pkcs12` key.
    @Test func aPKCS12ListenerIsSummarisedWithItsChain() async throws {
        let folder = try CheckFolder()
        let intermediate = try folder.root.issueIntermediate(
            folder.spec("Check Intermediate CA", .intermediateCA, days: 20)
        )
        let server = try intermediate.issue(
            folder.spec("pfx-server", .server, sans: [.ipAddress("127.0.0.1")], days: 200)
        )
        let pfx = try PKCS12Bundle.encode(
            certificate: server.certificate,
            key: server.key,
            chain: [intermediate.certificate, folder.root.certificate],
            password: "secret"
        )
        try Data(pfx).write(to: URL(fileURLWithPath: folder.path + "/pki/server.pfx"))
        let file = try folder.write(
            CheckFolder.yaml().replacingOccurrences(
                of: "{ certificate: pki/server.crt, privateKey: pki/server.key }",
                with: "{ pkcs12: pki/server.pfx, password: secret }"
            )
        )
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stdout.contains("    certificate   CN=pfx-server,O=Check Tests  until "), "\(output.stdout)")
        #expect(output.stdout.contains("    chain         CN=Check Intermediate CA,O=Check Tests  until "))
        #expect(!output.stdout.contains("    chain         CN=Check Root CA"), "\(output.stdout)")
        #expect(
            output.stdout.contains(
                ":5: listeners[0].tls.pkcs12: the intermediate CA CN=Check Intermediate CA,O=Check Tests expires in "
                    + "20 days"
            ),
            "\(output.stdout)"
        )
    }

    @Test func anExpiredCAIsAWarning() async throws {
        let folder = try CheckFolder()
        let expired = try CertificateAuthority.createRoot(folder.spec("Old Root CA", .rootCA, days: -3))
        try folder.write([expired.certificate], to: "pki/old-ca.crt")
        let file = try folder.write(
            CheckFolder.yaml().replacingOccurrences(of: "[pki/ca.crt]", with: "[pki/ca.crt, pki/old-ca.crt]")
        )
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(
            output.stdout.contains(
                ":8: policies.partners.trustedCAs: the trusted CA CN=Old Root CA,O=Check Tests expired on "
                    + "\(ISO8601DateFormatter().string(from: expired.certificate.notAfter)) (3 days ago); replace it"
            ),
            "\(output.stdout)"
        )
        #expect(self.warnings(try await self.jsonReport(file)) == ["expired policies.partners.trustedCAs"])
    }

    @Test func aCRLPastItsNextUpdateIsAWarning() async throws {
        let folder = try CheckFolder()
        try folder.writeCRL(of: folder.root, to: "pki/ca.crl", nextUpdateInDays: -1)
        let file = try folder.write(CheckFolder.yaml())
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(
            output.stdout.contains(
                ":10: policies.partners.crls: the CRL of CN=Check Root CA,O=Check Tests is past its nextUpdate ("
            ),
            "\(output.stdout)"
        )
        #expect(output.stdout.contains("with validateRevocation on, every certificate it covers is refused"))
        #expect(self.warnings(try await self.jsonReport(file)) == ["crlOutdated policies.partners.crls"])
    }

    /// The listener's host against the server certificate's SANs: an address needs an IP SAN, a name a DNS SAN
    /// (a wildcard covers one leftmost label); the unspecified addresses name no host.
    @Test(arguments: [
        ("127.0.0.1", [SubjectAlternativeName.ipAddress("127.0.0.1")], false),
        ("127.0.0.1", [.dnsName("127.0.0.1"), .dnsName("localhost")], true),
        ("localhost", [.ipAddress("127.0.0.1")], true),
        ("localhost", [.dnsName("localhost")], false),
        ("::1", [.ipAddress("::1")], false),
        ("api.example.test", [.dnsName("*.example.test")], false),
        ("a.api.example.test", [.dnsName("*.example.test")], true),
        ("0.0.0.0", [.dnsName("gatehouse.example.test")], false),
        ("::", [.dnsName("gatehouse.example.test")], false),
    ])
    func aServerCertificateWithoutASANForTheHostIsAWarning(
        host: String,
        sans: [SubjectAlternativeName],
        warns: Bool
    ) async throws {
        let folder = try CheckFolder()
        try folder.issueServer("named", sans: sans, days: 365)
        let file = try folder.write(CheckFolder.yaml(host: host, certificate: "named"))
        let report = try await self.jsonReport(file)
        #expect(self.warnings(report) == (warns ? ["hostNotCovered listeners[0].host"] : []), "\(host) \(sans)")
        if warns {
            let output = try await self.gatehouse(["check", "--config", file])
            #expect(
                output.stdout.contains(
                    ":3: listeners[0].host: the server certificate CN=named,O=Check Tests "
                        + "has no SAN for \(host) (it has \(sans.map(\.description).joined(separator: ", "))): "
                ),
                "\(output.stdout)"
            )
        }
    }

    @Test func aRouteWithoutAPolicyOnARequestListenerIsAWarning() async throws {
        let folder = try CheckFolder()
        let yaml =
            CheckFolder.yaml()
            .replacingOccurrences(
                of: "tls: { certificate: pki/server.crt, privateKey: pki/server.key }",
                with: "tls: { certificate: pki/server.crt, privateKey: pki/server.key }\n"
                    + "  - { name: plain, port: 9443, tls: { certificate: pki/server.crt, privateKey: pki/server.key, "
                    + "clientCertificate: none } }"
            )
            + "\n  - { path: /api/open, function: whoami }\n  - { path: /api/plain, function: hello, listeners: [plain] }"
        let file = try folder.write(yaml)
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(
            output.stdout.contains(
                ":16: routes[2]: /api/open has no policy on public, which asks for client certificates: anyone who "
                    + "connects can call whoami; add policy: NAME to the route\n"
            ),
            "\(output.stdout)"
        )
        // /healthz is open on purpose; /api/plain is only on a listener that asks for no certificate.
        #expect(self.warnings(try await self.jsonReport(file)) == ["routeWithoutPolicy routes[2]"])
    }
}
