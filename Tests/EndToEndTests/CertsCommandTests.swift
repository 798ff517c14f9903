import Foundation
import Testing

@Suite("`gatehouse certs` as a user runs it", .serialized)
struct CertsCommandTests {
    /// Runs `gatehouse ARGS` and returns its output.
    func gatehouse(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess(try builtExecutable("gatehouse"), arguments)
    }

    func openssl(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/env", ["openssl"] + arguments)
    }

    func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    @Test func initMakesAPKIThatOpenSSLCurlPythonAndTheServerAccept() async throws {
        let pki = try temporaryDirectory() + "/pki"
        let created = try await self.gatehouse(["certs", "init", "--dir", pki, "--client-name", "pfx-user"])
        try #require(created.exitCode == 0, "\(created.stderr)")
        let password = try String(contentsOfFile: pki + "/client.pfx.password", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(created.stdout.contains("PFX password: \(password)"))
        #expect(created.stdout.contains("CN=pfx-user,O=Gatehouse Development"))
        for key in ["ca.key", "server.key", "client.key", "client.pfx", "client.pfx.password"] {
            #expect(try self.mode(pki + "/" + key) == 0o600, "\(key)")
        }

        let verified = try await self.openssl([
            "verify", "-CAfile", pki + "/ca.crt", pki + "/client.crt", pki + "/server.crt",
        ])
        #expect(verified.exitCode == 0, "\(verified.stdout)\(verified.stderr)")
        let opened = try await self.openssl([
            "pkcs12", "-in", pki + "/client.pfx", "-passin", "pass:" + password, "-noout",
        ])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        let sha1 = try await self.openssl(["x509", "-in", pki + "/client.crt", "-noout", "-fingerprint", "-sha1"])
        let thumbprint = sha1.stdout.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "") }
        #expect(created.stdout.contains("SHA-1:   " + (thumbprint ?? "?").trimmingCharacters(in: .newlines)))

        let python = """
            import sys
            from cryptography.hazmat.primitives.serialization import pkcs12
            key, cert, extra = pkcs12.load_key_and_certificates(open(sys.argv[1], 'rb').read(), sys.argv[2].encode())
            print(cert.subject.rfc4514_string(), len(extra))
            """
        let loaded = try await runProcess("/usr/bin/env", ["python3", "-c", python, pki + "/client.pfx", password])
        #expect(loaded.exitCode == 0, "\(loaded.stderr)")
        #expect(loaded.stdout == "CN=pfx-user,O=Gatehouse Development 1\n")

        let server = try ChildProcess(
            try builtExecutable("gatehouse"),
            ["serve", "--pki-directory", pki, "--port", "0", "--log-level", "warning"],
            in: try temporaryDirectory()
        )
        defer { _ = server.stop(signal: SIGKILL) }
        let banner = server.readOutput { $0.components(separatedBy: "\n  curl ").count == 3 && $0.hasSuffix("\n") }
        let port = try #require(
            banner.split(separator: ":").compactMap { Int($0.prefix { $0.isNumber }) }.first,
            "banner: \(banner)"
        )
        let curl = try await runProcess(
            "/usr/bin/env",
            [
                "curl", "-sS", "--cacert", pki + "/ca.crt", "--cert-type", "P12", "--cert",
                pki + "/client.pfx:" + password,
                "https://127.0.0.1:\(port)/api/hello?name=pfx",
            ]
        )
        #expect(curl.stdout == "Hello, pfx.", "\(curl.stderr)")
        #expect(server.stop(signal: SIGTERM) == 0)
    }

    @Test func initRefusesAnExistingPKIWithoutForce() async throws {
        let pki = try temporaryDirectory() + "/pki"
        _ = try await self.gatehouse(["certs", "init", "--dir", pki, "--pfx-password", "first"])
        let before = try Data(contentsOf: URL(fileURLWithPath: pki + "/ca.crt"))
        let refused = try await self.gatehouse(["certs", "init", "--dir", pki])
        #expect(refused.exitCode != 0)
        #expect(refused.stderr.contains("already holds a PKI"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pki + "/ca.crt")) == before)
        let forced = try await self.gatehouse(["certs", "init", "--dir", pki, "--force", "--key-type", "rsa"])
        #expect(forced.exitCode == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pki + "/ca.crt")) != before)
    }

    @Test func issueWritesCorrectExtensionsAndRefusesToOverwrite() async throws {
        let directory = try temporaryDirectory()
        let ca = directory + "/pki"
        _ = try await self.gatehouse(["certs", "init", "--dir", ca])
        let server = try await self.gatehouse([
            "certs", "issue", "--ca-dir", ca, "--name", "api", "--server", "--san", "DNS:api.test", "--san",
            "IP:10.0.0.7",
            "--out", directory + "/api", "--key-type", "rsa3072",
        ])
        try #require(server.exitCode == 0, "\(server.stderr)")
        let serverExtensions = try await self.extensions(directory + "/api.crt")
        #expect(serverExtensions.contains("CA:FALSE"))
        #expect(serverExtensions.contains("TLS Web Server Authentication"))
        #expect(serverExtensions.contains("DNS:api.test, IP Address:10.0.0.7"))
        #expect(try self.mode(directory + "/api.key") == 0o600)

        let client = try await self.gatehouse([
            "certs", "issue", "--ca-dir", ca, "--name", "robot", "--client", "--san", "URI:spiffe://test/robot",
            "--out", directory + "/robot", "--pfx-password", "pw",
        ])
        try #require(client.exitCode == 0, "\(client.stderr)")
        let clientExtensions = try await self.extensions(directory + "/robot.crt")
        #expect(clientExtensions.contains("TLS Web Client Authentication"))
        #expect(clientExtensions.contains("URI:spiffe://test/robot"))
        #expect(try self.mode(directory + "/robot.pfx") == 0o600)
        let opened = try await self.openssl(["pkcs12", "-in", directory + "/robot.pfx", "-passin", "pass:pw", "-noout"])
        #expect(opened.exitCode == 0, "\(opened.stderr)")

        let again = try await self.gatehouse([
            "certs", "issue", "--ca-dir", ca, "--name", "robot", "--client",
            "--out", directory + "/robot",
        ])
        #expect(again.exitCode != 0)
        #expect(again.stderr.contains("robot.crt already exists"), "\(again.stderr)")

        let intermediate = try await self.gatehouse([
            "certs", "issue", "--ca-dir", ca, "--name", "Sub CA", "--intermediate",
            "--out", directory + "/sub",
        ])
        try #require(intermediate.exitCode == 0, "\(intermediate.stderr)")
        let caExtensions = try await self.extensions(directory + "/sub/ca.crt")
        #expect(caExtensions.contains("CA:TRUE"))
        #expect(caExtensions.contains("Certificate Sign, CRL Sign"))
        let leaf = try await self.gatehouse([
            "certs", "issue", "--ca-dir", directory + "/sub", "--name", "deep", "--client",
            "--out", directory + "/deep",
        ])
        try #require(leaf.exitCode == 0, "\(leaf.stderr)")
        let chain = try await self.openssl([
            "verify", "-CAfile", ca + "/ca.crt", "-untrusted", directory + "/sub/ca.crt",
            directory + "/deep.crt",
        ])
        #expect(chain.exitCode == 0, "\(chain.stdout)\(chain.stderr)")
    }

    func extensions(_ file: String) async throws -> String {
        let output = try await self.openssl([
            "x509", "-in", file, "-noout", "-ext",
            "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName",
        ])
        return output.stdout
    }

    /// `--pfx-compatibility legacy` writes 3DES bags and a SHA-1 MAC, which OpenSSL reads with and without its
    /// legacy provider; the default is AES-256 with a SHA-256 MAC. Both are read back by Gatehouse.
    @Test func legacyPFXUsesTripleDESAndSHA1AndIsReadBack() async throws {
        let directory = try temporaryDirectory()
        let initialized = try await self.gatehouse(["certs", "init", "--dir", directory + "/ca", "--pfx-password", "p"])
        try #require(initialized.exitCode == 0, "\(initialized.stderr)")
        for compatibility in ["legacy", "modern"] {
            let prefix = directory + "/" + compatibility
            let issued = try await self.gatehouse([
                "certs", "issue", "--ca-dir", directory + "/ca", "--client", "--name", compatibility, "--out", prefix,
                "--pfx-password", "secret", "--pfx-compatibility", compatibility,
            ])
            try #require(issued.exitCode == 0, "\(issued.stderr)")
            for extra in [[], ["-legacy"]] {
                let info = try await self.openssl(
                    ["pkcs12", "-info", "-in", prefix + ".pfx", "-passin", "pass:secret", "-noout"] + extra
                )
                #expect(info.exitCode == 0, "\(compatibility) \(extra): \(info.stderr)")
                let report = info.stdout + info.stderr
                if compatibility == "legacy" {
                    #expect(report.contains("MAC: sha1,"), "\(report)")
                    #expect(report.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"), "\(report)")
                    #expect(report.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC"), "\(report)")
                    #expect(!report.contains("AES"), "\(report)")
                } else {
                    #expect(report.contains("MAC: sha256,"), "\(report)")
                    #expect(report.contains("AES-256-CBC"), "\(report)")
                }
            }
            let inspected = try await self.gatehouse(["certs", "inspect", prefix + ".pfx", "--password", "secret"])
            #expect(inspected.exitCode == 0, "\(inspected.stderr)")
            #expect(inspected.stdout.contains("CN=\(compatibility)"), "\(inspected.stdout)")
        }
        let withoutPFX = try await self.gatehouse([
            "certs", "issue", "--ca-dir", directory + "/ca", "--client", "--name", "x", "--out", directory + "/x",
            "--pfx-compatibility", "legacy",
        ])
        #expect(withoutPFX.exitCode == 64, "\(withoutPFX.stderr)")
        let legacyInit = try await self.gatehouse(
            [
                "certs", "init", "--dir", directory + "/legacy-pki", "--pfx-password", "p", "--pfx-compatibility",
                "legacy",
            ])
        #expect(legacyInit.exitCode == 0, "\(legacyInit.stderr)")
        let initInfo = try await self.openssl(
            ["pkcs12", "-info", "-in", directory + "/legacy-pki/client.pfx", "-passin", "pass:p", "-noout"])
        #expect((initInfo.stdout + initInfo.stderr).contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"))
    }

    @Test func revokeWritesACRLThatOpenSSLHonours() async throws {
        let directory = try temporaryDirectory()
        let ca = directory + "/pki"
        _ = try await self.gatehouse(["certs", "init", "--dir", ca])
        let crl = directory + "/crl.pem"
        let revoked = try await self.gatehouse(["certs", "revoke", "--ca-dir", ca, ca + "/client.crt", "--crl", crl])
        try #require(revoked.exitCode == 0, "\(revoked.stderr)")
        let signed = try await self.openssl(["crl", "-in", crl, "-noout", "-CAfile", ca + "/ca.crt"])
        #expect(signed.exitCode == 0 && (signed.stdout + signed.stderr).contains("verify OK"), "\(signed.stderr)")
        let check = try await self.openssl([
            "verify", "-crl_check", "-CRLfile", crl, "-CAfile", ca + "/ca.crt",
            ca + "/client.crt",
        ])
        #expect(check.exitCode != 0)
        #expect((check.stdout + check.stderr).contains("error 23"), "\(check.stdout)\(check.stderr)")
        let server = try await self.openssl([
            "verify", "-crl_check", "-CRLfile", crl, "-CAfile", ca + "/ca.crt",
            ca + "/server.crt",
        ])
        #expect(server.exitCode == 0, "\(server.stdout)\(server.stderr)")

        let first = try await self.openssl(["crl", "-in", crl, "-noout", "-crlnumber"])
        _ = try await self.gatehouse(["certs", "revoke", "--ca-dir", ca, "--crl", crl])
        let second = try await self.openssl(["crl", "-in", crl, "-noout", "-crlnumber"])
        #expect(first.stdout == "crlNumber=0x01\n")
        #expect(second.stdout == "crlNumber=0x02\n")

        let stranger = try temporaryDirectory() + "/other"
        _ = try await self.gatehouse(["certs", "init", "--dir", stranger])
        let foreign = try await self.gatehouse([
            "certs", "revoke", "--ca-dir", ca, stranger + "/client.crt", "--crl", crl,
        ])
        #expect(foreign.exitCode != 0)
        #expect(foreign.stderr.contains("not issued by"), "\(foreign.stderr)")
    }

    @Test func inspectThumbprintsEqualOpenSSLFingerprints() async throws {
        let ca = try temporaryDirectory() + "/pki"
        _ = try await self.gatehouse(["certs", "init", "--dir", ca, "--pfx-password", "secret"])
        let sha1 = try await self.openssl(["x509", "-in", ca + "/client.crt", "-noout", "-fingerprint", "-sha1"])
        let sha256 = try await self.openssl(["x509", "-in", ca + "/client.crt", "-noout", "-fingerprint", "-sha256"])
        let expected1 = try #require(sha1.stdout.split(separator: "=").last?.trimmingCharacters(in: .newlines))
        let expected256 = try #require(sha256.stdout.split(separator: "=").last?.trimmingCharacters(in: .newlines))

        for file in [ca + "/client.crt", ca + "/client.pfx"] {
            let output = try await self.gatehouse(["certs", "inspect", file, "--password", "secret", "--json"])
            try #require(output.exitCode == 0, "\(output.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            let first = try #require((json["certificates"] as? [[String: Any]])?.first)
            #expect((first["sha1"] as? [String: String])?["colons"] == expected1)
            #expect((first["sha256"] as? [String: String])?["colons"] == expected256)
            #expect((first["sha1"] as? [String: String])?["hex"] == expected1.replacingOccurrences(of: ":", with: ""))
            #expect(first["subject"] as? String == "CN=client,O=Gatehouse Development")
        }
        let text = try await self.gatehouse(["certs", "inspect", ca + "/server.crt"])
        #expect(text.stdout.contains("DNS:localhost, IP:127.0.0.1, IP:::1"))
        #expect(text.stdout.contains("EC P-256 (256 bits)"))
        #expect(text.stdout.contains("days remaining"))
        let locked = try await self.gatehouse(["certs", "inspect", ca + "/client.pfx"])
        #expect(locked.exitCode != 0)
        #expect(locked.stderr.contains("needs a password"), "\(locked.stderr)")
    }

    @Test(arguments: [["certs"], ["certs", "init"], ["certs", "issue"], ["certs", "revoke"], ["certs", "inspect"]])
    func helpExitsZero(command: [String]) async throws {
        let output = try await self.gatehouse(command + ["--help"])
        #expect(output.exitCode == 0)
        #expect(output.stdout.contains("USAGE"))
    }

    @Test func badArgumentsAreRejectedBeforeAnythingRuns() async throws {
        let directory = try temporaryDirectory()
        for arguments in [
            ["certs", "issue", "--name", "x", "--client"],
            ["certs", "issue", "--ca-dir", directory, "--name", "x"],
            ["certs", "issue", "--ca-dir", directory, "--name", "x", "--client", "--san", "IP:not-an-ip"],
            ["certs", "issue", "--ca-dir", directory, "--name", "x", "--client", "--days", "0"],
            ["certs", "init", "--dir", directory + "/p", "--key-type", "dsa"],
            ["certs", "revoke", "--ca-dir", directory, "nonsense-file"],
        ] {
            let output = try await self.gatehouse(arguments)
            #expect(output.exitCode == 64, "\(arguments): \(output.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/p"))
    }
}
