import Foundation
import GatehouseCertificates
import TestSupport
import Testing

/// `gatehouse check` on configurations `serve` refuses: exit 1 with the very line `serve` prints.
@Suite("`gatehouse check` errors", .serialized)
struct CheckCommandErrorTests {
    func gatehouse(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/timeout", ["30", try builtExecutable("gatehouse")] + arguments)
    }

    /// Runs `check` and `serve` on `file` and expects both to fail with the same message, which has `expected`.
    func expectSameError(
        _ file: String,
        _ expected: String,
        key: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let check = try await self.gatehouse(["check", "--config", file])
        let serve = try await self.gatehouse(["serve", "--config", file])
        #expect(check.exitCode == 1, sourceLocation: sourceLocation)
        #expect(serve.exitCode == 1, sourceLocation: sourceLocation)
        #expect(check.stderr == serve.stderr, sourceLocation: sourceLocation)
        #expect(check.stderr.hasPrefix("gatehouse: \(file)"), "\(check.stderr)", sourceLocation: sourceLocation)
        #expect(check.stderr.contains(expected), "\(check.stderr)", sourceLocation: sourceLocation)
        #expect(check.stdout.isEmpty, "\(check.stdout)", sourceLocation: sourceLocation)

        let json = try await self.gatehouse(["check", "--config", file, "--json"])
        #expect(json.exitCode == 1, sourceLocation: sourceLocation)
        #expect(json.stderr == serve.stderr, sourceLocation: sourceLocation)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(document?["ok"] as? Bool == false, "\(json.stdout)", sourceLocation: sourceLocation)
        #expect(document?["key"] as? String == key, "\(json.stdout)", sourceLocation: sourceLocation)
        #expect(
            "gatehouse: \(document?["message"] as? String ?? "")\n" == serve.stderr,
            "\(json.stdout)",
            sourceLocation: sourceLocation
        )
    }

    @Test func aMissingFileIsServesError() async throws {
        let folder = try CheckFolder()
        let file = try folder.write(
            CheckFolder.yaml().replacingOccurrences(
                of: "certificate: pki/server.crt",
                with: "certificate: pki/nope.crt"
            )
        )
        try await self.expectSameError(
            file,
            ":5: listeners[0].tls.certificate: no such file: \(folder.path)/pki/nope.crt\n",
            key: "listeners[0].tls.certificate"
        )
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsServesError() async throws {
        let folder = try CheckFolder()
        try folder.issueServer("other", sans: [.ipAddress("127.0.0.1")], days: 365)
        let file = try folder.write(
            CheckFolder.yaml().replacingOccurrences(of: "privateKey: pki/server.key", with: "privateKey: pki/other.key")
        )
        try await self.expectSameError(
            file,
            "\(folder.path)/pki/other.key: the private key does not match the certificate in \(folder.path)/pki/server.crt",
            key: "listeners[0].tls.privateKey"
        )
    }

    @Test func anUnknownKeyInTheYAMLIsServesError() async throws {
        let folder = try CheckFolder()
        let file = try folder.write(
            CheckFolder.yaml().replacingOccurrences(of: "trustedCAs: [pki/ca.crt]", with: "trustedCA: [pki/ca.crt]")
        )
        try await self.expectSameError(file, ":8: policies.partners.trustedCA: ", key: "policies.partners.trustedCA")
    }

    @Test func aConfigurationFileThatDoesNotExistIsServesError() async throws {
        let missing = try temporaryDirectory() + "/gatehouse.yaml"
        try await self.expectSameError(missing, "\(missing): cannot read the file\n", key: "")
    }

    // MARK: the embedded default

    @Test func withoutConfigTheEmbeddedDefaultAndItsPKIAreChecked() async throws {
        let pki = try temporaryDirectory() + "/pki"
        let created = try await self.gatehouse(["certs", "init", "--dir", pki])
        try #require(created.exitCode == 0, "\(created.stderr)")
        let output = try await self.gatehouse(["check", "--pki-directory", pki])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let text = output.stdout
        #expect(text.hasPrefix("No --config: checking the embedded default configuration"), "\(text)")
        #expect(text.contains("Configuration: (embedded default)\n"), "\(text)")
        #expect(text.contains("  routes[1]  GET /api/whoami → policy development → function whoami\n"), "\(text)")
        #expect(text.contains("    trusted CA    CN=Gatehouse Development CA,O=Gatehouse Development  until "))
        // Its open /healthz is meant to be open: no warning.
        #expect(text.hasSuffix("OK: gatehouse serve would start with this configuration (no warnings).\n"), "\(text)")

        let json = try await self.gatehouse(["check", "--pki-directory", pki, "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(document?["configuration"] as? String == "(embedded default)", "\(json.stdout)")
    }

    @Test func withoutConfigAMissingDevelopmentPKIIsNotCreated() async throws {
        let pki = try temporaryDirectory() + "/pki"
        let output = try await self.gatehouse(["check", "--pki-directory", pki])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stdout.contains("its development PKI in \(pki) is missing or incomplete"), "\(output.stdout)")
        #expect(!FileManager.default.fileExists(atPath: pki))
    }
}
