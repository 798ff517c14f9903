import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import Testing

/// Keys, PFX and certificates are never written through a symbolic link, and never replace a file unasked.
@Suite struct SafeFileWriteTests {
    let issued: IssuedCertificate

    init() throws {
        self.issued = try IssuedCertificate.selfSigned(CertificateSpec(subject: [.commonName("svc")], kind: .client))
    }

    /// A directory with `victim` (a file whose contents must survive) and `svc.key`, a symbolic link to it.
    func directoryWithLinkedKey() throws -> (directory: String, victim: String) {
        let directory = try makeTemporaryDirectory()
        let victim = directory + "/victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: directory + "/svc.key", withDestinationPath: victim)
        return (directory, victim)
    }

    func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    func isSymbolicLink(_ path: String) throws -> Bool {
        try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType == .typeSymbolicLink
    }

    @Test func aLinkAtTheKeyIsAnErrorAndItsTargetIsUntouched() throws {
        let (directory, victim) = try self.directoryWithLinkedKey()
        let error = #expect(throws: CertificateError.self) {
            try self.issued.write(prefix: directory + "/svc", pfxPassword: "pw")
        }
        #expect(error?.code == .fileExists)
        #expect(error?.detail.contains(directory + "/svc.key is a symbolic link") == true, "\(error?.detail ?? "")")
        #expect(try self.contents(victim) == "precious\n")
        #expect(try self.isSymbolicLink(directory + "/svc.key"))
        // Nothing else was written either: the existing link is found before the first file.
        #expect(!FileManager.default.fileExists(atPath: directory + "/svc.crt"))
    }

    @Test func aDanglingLinkIsAnErrorTooAndNothingIsCreatedAtItsTarget() throws {
        let directory = try makeTemporaryDirectory()
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/svc.pfx",
            withDestinationPath: directory + "/planted"
        )
        let error = #expect(throws: CertificateError.self) {
            try self.issued.write(prefix: directory + "/svc", pfxPassword: "pw")
        }
        #expect(error?.detail.contains(directory + "/svc.pfx is a symbolic link") == true)
        #expect(!FileManager.default.fileExists(atPath: directory + "/planted"))
    }

    @Test func overwriteReplacesTheLinkItselfWithAPrivateFile() throws {
        let (directory, victim) = try self.directoryWithLinkedKey()
        try FileManager.default.createSymbolicLink(atPath: directory + "/svc.crt", withDestinationPath: victim)
        try self.issued.write(prefix: directory + "/svc", pfxPassword: "pw", overwrite: true)
        #expect(try self.contents(victim) == "precious\n")
        #expect(try !self.isSymbolicLink(directory + "/svc.key"))
        #expect(try !self.isSymbolicLink(directory + "/svc.crt"))
        #expect(try self.mode(directory + "/svc.key") == 0o600)
        #expect(try self.mode(directory + "/svc.pfx") == 0o600)
        #expect(try self.mode(directory + "/svc.crt") == 0o644)
        #expect(try PrivateKey(pemFile: directory + "/svc.key").matches(self.issued.certificate))
        // No temporary file is left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["svc.crt", "svc.key", "svc.pfx", "victim"])
    }

    /// A link planted where a predictable temporary name would be (`PATH.tmp-PID`) is never written through either.
    @Test func overwriteNeverWritesThroughALinkAtATemporaryName() throws {
        let (directory, victim) = try self.directoryWithLinkedKey()
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/svc.key.tmp-\(getpid())",
            withDestinationPath: victim
        )
        try self.issued.write(prefix: directory + "/svc", overwrite: true)
        #expect(try self.contents(victim) == "precious\n")
        #expect(try PrivateKey(pemFile: directory + "/svc.key").matches(self.issued.certificate))
    }

    @Test func anExistingKeyIsNotReplacedWithoutOverwrite() throws {
        let directory = try makeTemporaryDirectory()
        try Data("old key\n".utf8).write(to: URL(fileURLWithPath: directory + "/svc.key"))
        let error = #expect(throws: CertificateError.self) { try self.issued.write(prefix: directory + "/svc") }
        #expect(error?.code == .fileExists)
        #expect(error?.detail == directory + "/svc.key already exists")
        #expect(try self.contents(directory + "/svc.key") == "old key\n")
    }

    @Test func caDirectoryKeyIsNeverWrittenThroughALink() throws {
        let directory = try makeTemporaryDirectory()
        let victim = directory + "/victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createDirectory(atPath: directory + "/ca", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: directory + "/ca/ca.key", withDestinationPath: victim)
        let root = try CertificateAuthority.createRoot(CertificateSpec(subject: [.commonName("Root")], kind: .rootCA))
        let error = #expect(throws: CertificateError.self) {
            try CertificateAuthorityDirectory.create(at: directory + "/ca", authority: root, chain: [])
        }
        #expect(error?.detail.contains(directory + "/ca/ca.key is a symbolic link") == true)
        #expect(try self.contents(victim) == "precious\n")

        try CertificateAuthorityDirectory.create(at: directory + "/ca", authority: root, chain: [], overwrite: true)
        #expect(try self.contents(victim) == "precious\n")
        #expect(try !self.isSymbolicLink(directory + "/ca/ca.key"))
        #expect(try self.mode(directory + "/ca/ca.key") == 0o600)
    }

    @Test func developmentPKICountsLinksAsExistingAndNeverWritesThroughThem() throws {
        let directory = try makeTemporaryDirectory() + "/pki"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let victim = directory + "/../victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/client.pfx.password",
            withDestinationPath: victim
        )
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/server.key",
            withDestinationPath: "/nonexistent"
        )
        #expect(
            DevelopmentPKI.existingFiles(in: directory).map { ($0 as NSString).lastPathComponent }
                == ["server.key", "client.pfx.password"]
        )

        let pki = try DevelopmentPKI.loadOrCreate(in: directory, force: true)
        #expect(try self.contents(victim) == "precious\n")
        for name in ["server.key", "client.pfx.password"] {
            #expect(try !self.isSymbolicLink(directory + "/" + name), "\(name)")
            #expect(try self.mode(directory + "/" + name) == 0o600, "\(name)")
        }
        #expect(try readPasswordFile(pki.clientPFXPasswordFile) == pki.pfxPassword)
    }

    @Test func passwordFilesGiveTheirFirstLine() throws {
        let directory = try makeTemporaryDirectory()
        for (text, expected) in [
            ("s3cret\n", "s3cret"), ("s3cret\r\nsecond\n", "s3cret"), ("no newline", "no newline"),
            (" spaced ", " spaced "), ("", ""),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/pw"))
            #expect(try readPasswordFile(directory + "/pw") == expected)
        }
        let missing = #expect(throws: CertificateError.self) { try readPasswordFile(directory + "/none") }
        #expect(missing?.detail.contains(directory + "/none") == true)
    }
}

/// Encrypted PEM keys are read with a password, or refused, and never make OpenSSL prompt on the terminal.
@Suite struct EncryptedKeyTests {
    /// A fresh key encrypted by `openssl pkey` (PKCS#8, AES-256) or `openssl ec -aes256` (traditional,
    /// `Proc-Type: 4,ENCRYPTED`), with the password `pw`.
    func encryptedKey(traditional: Bool) throws -> (path: String, key: PrivateKey) {
        let directory = try makeTemporaryDirectory()
        let key = try PrivateKey.generate()
        try Data(key.pemBytes()).write(to: URL(fileURLWithPath: directory + "/plain.key"))
        let arguments =
            traditional
            ? ["ec", "-in", directory + "/plain.key", "-aes256", "-passout", "pass:pw", "-out", directory + "/enc.key"]
            : [
                "pkey", "-in", directory + "/plain.key", "-aes256", "-passout", "pass:pw", "-out",
                directory + "/enc.key",
            ]
        let result = try runOpenSSL(arguments)
        try #require(result.status == 0, "\(result.output)")
        return (directory + "/enc.key", key)
    }

    @Test(arguments: [false, true]) func anEncryptedKeyNeedsItsPassword(traditional: Bool) throws {
        let (path, key) = try self.encryptedKey(traditional: traditional)
        #expect(PrivateKey.isEncryptedPEM(file: path))
        let missing = #expect(throws: CertificateError.self) { try PrivateKey(pemFile: path) }
        #expect(missing?.code == .wrongPassword)
        #expect(missing?.detail == "\(path): the private key is encrypted and no password was given")
        let wrong = #expect(throws: CertificateError.self) { try PrivateKey(pemFile: path, password: "nope") }
        #expect(wrong?.detail == "\(path): the password does not decrypt the private key")
        let opened = try PrivateKey(pemFile: path, password: "pw")
        #expect(try opened.pemBytes() == key.pemBytes())
    }

    @Test func anUnencryptedKeyIsNotReportedAsEncrypted() throws {
        let directory = try makeTemporaryDirectory()
        try Data(PrivateKey.generate().pemBytes()).write(to: URL(fileURLWithPath: directory + "/plain.key"))
        #expect(!PrivateKey.isEncryptedPEM(file: directory + "/plain.key"))
        _ = try PrivateKey(pemFile: directory + "/plain.key", password: "ignored")
        let garbage = #expect(throws: CertificateError.self) {
            try PrivateKey(pemBytes: Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8))
        }
        #expect(garbage?.code == .invalidKey)
    }
}

/// `Certificate.matchesHost`: IP literals against IP SANs, names against DNS SANs, never the common name.
@Suite struct HostMatchingTests {
    func certificate(_ commonName: String, _ sans: [SubjectAlternativeName]) throws -> Certificate {
        try IssuedCertificate.selfSigned(CertificateSpec(subject: [.commonName(commonName)], kind: .server, sans: sans))
            .certificate
    }

    @Test func addressesMatchIPSANsOnly() throws {
        let spelled = try self.certificate("127.0.0.1", [.dnsName("127.0.0.1"), .dnsName("localhost")])
        #expect(!spelled.matchesHost("127.0.0.1"))
        #expect(spelled.matchesHost("localhost"))
        let addressed = try self.certificate("x", [.ipAddress("127.0.0.1"), .ipAddress("::1")])
        #expect(addressed.matchesHost("127.0.0.1"))
        #expect(addressed.matchesHost("::1"))
        #expect(addressed.matchesHost("0:0:0:0:0:0:0:1"))
        #expect(!addressed.matchesHost("127.0.0.2"))
        #expect(!addressed.matchesHost("127.1"))
        #expect(!addressed.matchesHost("localhost"))
    }

    @Test func namesMatchDNSSANsNeverTheCommonName() throws {
        let named = try self.certificate("svc.example", [.dnsName("*.example.com"), .ipAddress("10.0.0.1")])
        #expect(named.matchesHost("api.example.com"))
        #expect(named.matchesHost("API.Example.com"))
        #expect(!named.matchesHost("a.b.example.com"))
        #expect(!named.matchesHost("svc.example"))
        let commonNameOnly = try self.certificate("localhost", [])
        #expect(!commonNameOnly.matchesHost("localhost"))
    }
}
