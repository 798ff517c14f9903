import Foundation
import TestSupport
import Testing

/// Keys, PFX files and passwords on the command line: never written through a symbolic link, never replaced
/// unasked, every password readable from a file, and an encrypted key refused instead of prompted for.
@Suite("gatehouse and its secrets", .serialized)
struct SecretsCommandTests {
    func gatehouse(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess(try builtExecutable("gatehouse"), arguments)
    }

    /// `gatehouse ARGS` under `timeout`, so a command that waits for a terminal fails the test instead of hanging
    /// it (standard input is closed, as for a service).
    func gatehouseWithDeadline(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/timeout", ["30", try builtExecutable("gatehouse")] + arguments)
    }

    func openssl(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/env", ["openssl"] + arguments)
    }

    func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    func isSymbolicLink(_ path: String) throws -> Bool {
        try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType == .typeSymbolicLink
    }

    /// A folder with `victim` (contents `precious`) and a CA directory `ca` made by `certs init`.
    func folderWithCA() async throws -> (path: String, victim: String) {
        let path = try temporaryDirectory()
        try "precious\n".write(toFile: path + "/victim", atomically: false, encoding: .utf8)
        let created = try await self.gatehouse(["certs", "init", "--dir", path + "/ca", "--pfx-password", "x"])
        try #require(created.exitCode == 0, "\(created.stderr)")
        return (path, path + "/victim")
    }

    @Test func issueRefusesALinkAtTheKeyAndForceReplacesTheLinkItself() async throws {
        let (path, victim) = try await self.folderWithCA()
        try FileManager.default.createSymbolicLink(atPath: path + "/svc.key", withDestinationPath: victim)
        let issue = ["certs", "issue", "--ca-dir", path + "/ca", "--name", "svc", "--client", "--out", path + "/svc"]

        let refused = try await self.gatehouse(issue)
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("\(path)/svc.key is a symbolic link (to \(victim))"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was written; use --force"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(!FileManager.default.fileExists(atPath: path + "/svc.crt"))

        let forced = try await self.gatehouse(issue + ["--force"])
        #expect(forced.exitCode == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try !self.isSymbolicLink(path + "/svc.key"))
        #expect(try self.mode(path + "/svc.key") == 0o600)
        let matches = try await self.openssl(["pkey", "-in", path + "/svc.key", "-noout"])
        #expect(matches.exitCode == 0, "\(matches.stderr)")
    }

    @Test func revokeReplacesALinkAtTheCRLInsteadOfWritingThroughIt() async throws {
        let (path, victim) = try await self.folderWithCA()
        try FileManager.default.createSymbolicLink(atPath: path + "/crl.pem", withDestinationPath: victim)
        let revoked = try await self.gatehouse([
            "certs", "revoke", "--ca-dir", path + "/ca", path + "/ca/client.crt", "--crl", path + "/crl.pem",
        ])
        #expect(revoked.exitCode == 0, "\(revoked.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try !self.isSymbolicLink(path + "/crl.pem"))
        #expect(try self.mode(path + "/crl.pem") == 0o644)
        let signed = try await self.openssl(["crl", "-in", path + "/crl.pem", "-noout", "-CAfile", path + "/ca/ca.crt"])
        #expect(signed.exitCode == 0, "\(signed.stderr)")
    }

    @Test func initRefusesALinkInItsDirectoryAndForceReplacesIt() async throws {
        let path = try temporaryDirectory()
        try "precious\n".write(toFile: path + "/victim", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: path + "/pki", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: path + "/pki/ca.key", withDestinationPath: path + "/victim")

        let refused = try await self.gatehouse(["certs", "init", "--dir", path + "/pki"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("already holds a PKI (ca.key)"), "\(refused.stderr)")

        let forced = try await self.gatehouse(["certs", "init", "--dir", path + "/pki", "--force"])
        #expect(forced.exitCode == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: path + "/victim", encoding: .utf8) == "precious\n")
        #expect(try !self.isSymbolicLink(path + "/pki/ca.key"))
        #expect(try self.mode(path + "/pki/ca.key") == 0o600)
    }

    @Test func initAndIssueReadThePFXPasswordFromAFile() async throws {
        let path = try temporaryDirectory()
        try "from-a-file\n".write(toFile: path + "/pw", atomically: false, encoding: .utf8)
        let created = try await self.gatehouse([
            "certs", "init", "--dir", path + "/pki", "--pfx-password-file", path + "/pw",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(created.stdout.contains("PFX password: as given with --pfx-password-file (not stored)"))
        #expect(!created.stdout.contains("from-a-file"))
        #expect(!FileManager.default.fileExists(atPath: path + "/pki/client.pfx.password"))
        let initPFX = try await self.openssl([
            "pkcs12", "-in", path + "/pki/client.pfx", "-passin", "pass:from-a-file", "-noout",
        ])
        #expect(initPFX.exitCode == 0, "\(initPFX.stderr)")

        let issued = try await self.gatehouse([
            "certs", "issue", "--ca-dir", path + "/pki", "--name", "svc", "--client", "--out", path + "/svc",
            "--pfx-password-file", path + "/pw",
        ])
        #expect(issued.exitCode == 0, "\(issued.stderr)")
        #expect(try self.mode(path + "/svc.pfx") == 0o600)
        let issuePFX = try await self.openssl([
            "pkcs12", "-in", path + "/svc.pfx", "-passin", "file:" + path + "/pw", "-noout",
        ])
        #expect(issuePFX.exitCode == 0, "\(issuePFX.stderr)")
    }

    @Test func passwordFileMistakesAreClearErrors() async throws {
        let path = try temporaryDirectory()
        try "\n".write(toFile: path + "/empty", atomically: false, encoding: .utf8)
        let both = try await self.gatehouse([
            "certs", "init", "--dir", path + "/a", "--pfx-password", "x", "--pfx-password-file", path + "/empty",
        ])
        #expect(both.exitCode == 64)
        #expect(both.stderr.contains("use either --pfx-password or --pfx-password-file, not both"), "\(both.stderr)")

        let empty = try await self.gatehouse([
            "certs", "init", "--dir", path + "/b", "--pfx-password-file", path + "/empty",
        ])
        #expect(empty.exitCode == 1)
        #expect(empty.stderr.contains("\(path)/empty: the password file's first line is empty"), "\(empty.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path + "/b"))

        let missing = try await self.gatehouse([
            "certs", "init", "--dir", path + "/c", "--pfx-password-file", path + "/none",
        ])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.contains("\(path)/none: cannot read the file"), "\(missing.stderr)")
    }

    @Test func inspectReadsThePasswordFromAFile() async throws {
        let pki = try TestPKI.shared()
        let path = try temporaryDirectory()
        try (pki.clientPFXPassword + "\n").write(toFile: path + "/pw", atomically: false, encoding: .utf8)
        try "wrong\n".write(toFile: path + "/wrong", atomically: false, encoding: .utf8)
        let opened = try await self.gatehouse(["certs", "inspect", pki.clientPFXFile, "--password-file", path + "/pw"])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        #expect(opened.stdout.contains("CN=client"), "\(opened.stdout)")
        let refused = try await self.gatehouse([
            "certs", "inspect", pki.clientPFXFile, "--password-file", path + "/wrong",
        ])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("the password does not open the file"), "\(refused.stderr)")
    }

    @Test(arguments: ["--http2", "--http1.1"])
    func callReadsThePFXPasswordFromAFile(http: String) async throws {
        try await withTestServer { server in
            let pki = server.pki
            let path = try temporaryDirectory()
            try (pki.clientPFXPassword + "\n").write(toFile: path + "/pw", atomically: false, encoding: .utf8)
            let result = try await self.gatehouse([
                "call", server.url("/api/hello?name=file"), "--pfx", pki.clientPFXFile, "--password-file", path + "/pw",
                "--cacert", pki.rootCAFile, http,
            ])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout.hasSuffix("\nHello, file."))

            let unreadable = try await self.gatehouse([
                "call", server.url("/api/hello"), "--pfx", pki.clientPFXFile, "--password-file", path + "/none",
                "--cacert", pki.rootCAFile,
            ])
            #expect(unreadable.exitCode == 1)
            #expect(unreadable.stderr.contains("\(path)/none: cannot read the file"), "\(unreadable.stderr)")
        }
    }

    /// `client.key` encrypted with `openssl pkey -aes256` (password `pw`), in a new folder.
    func encryptedClientKey() async throws -> String {
        let pki = try TestPKI.shared()
        let file = try temporaryDirectory() + "/encrypted.key"
        let encrypted = try await self.openssl([
            "pkey", "-in", pki.client.keyFile, "-aes256", "-passout", "pass:pw", "-out", file,
        ])
        try #require(encrypted.exitCode == 0, "\(encrypted.stderr)")
        return file
    }

    @Test func callWithAnEncryptedKeyIsAClearErrorNotAPrompt() async throws {
        let pki = try TestPKI.shared()
        let key = try await self.encryptedClientKey()
        let result = try await self.gatehouseWithDeadline([
            "call", "https://127.0.0.1:1/", "--cert", pki.client.chainFile, "--key", key, "--cacert", pki.rootCAFile,
        ])
        #expect(result.exitCode == 1, "exit \(result.exitCode) (124: it waited for a password)")
        #expect(
            result.stderr.contains("\(key): the private key is encrypted and no password was given"),
            "\(result.stderr)"
        )
    }

    @Test func serveWithAnEncryptedKeyIsAConfigurationErrorNotAPrompt() async throws {
        let folder = try ConfigurationFolder()
        try FileManager.default.removeItem(atPath: folder.path + "/pki/server.key")
        let encrypted = try await self.openssl([
            "pkey", "-in", folder.pki.server.keyFile, "-aes256", "-passout", "pass:pw", "-out",
            folder.path + "/pki/server.key",
        ])
        try #require(encrypted.exitCode == 0, "\(encrypted.stderr)")
        let file = try folder.write(ConfigurationFolder.yaml(policy: "trustedCAs: [pki/ca.crt]", testRoutes: false))
        let output = try await self.gatehouseWithDeadline(["serve", "--config", file, "--port", "0"])
        #expect(output.exitCode == 1, "exit \(output.exitCode) (124: it waited for a password)")
        #expect(output.stderr.contains("\(file):"), "\(output.stderr)")
        #expect(
            output.stderr.contains(
                "listeners[0].tls.privateKey: \(folder.path)/pki/server.key: the private key is encrypted"
            ),
            "\(output.stderr)"
        )
    }
}
