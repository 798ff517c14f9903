import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import Testing

@Suite struct CertificateAuthorityDirectoryTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func makeRootFolder() throws -> CertificateAuthorityDirectory {
        let root = try CertificateAuthority.createRoot(
            CertificateSpec(subject: [.commonName("Tooling Root")], kind: .rootCA, notBefore: self.now)
        )
        return try CertificateAuthorityDirectory.create(
            at: try makeTemporaryDirectory() + "/ca",
            authority: root,
            chain: []
        )
    }

    @Test func createdFolderLoadsBackWithPrivateKeyMode() throws {
        let folder = try self.makeRootFolder()
        let loaded = try CertificateAuthorityDirectory.load(folder.path)
        #expect(loaded.authority.certificate == folder.authority.certificate)
        #expect(loaded.chain.isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try loaded.loadIndex() == CertificateIndex())
    }

    @Test func refusesToOverwriteAnExistingFolder() throws {
        let folder = try self.makeRootFolder()
        let error = #expect(throws: CertificateError.self) {
            try CertificateAuthorityDirectory.create(at: folder.path, authority: folder.authority, chain: [])
        }
        #expect(error?.code == .fileExists)
        #expect(error?.detail.contains(folder.certificateFile) == true)
    }

    @Test func loadingErrorsNameTheFile() throws {
        let folder = try self.makeRootFolder()
        let empty = try makeTemporaryDirectory()
        let missing = #expect(throws: CertificateError.self) { try CertificateAuthorityDirectory.load(empty) }
        #expect(missing?.detail.contains(empty + "/ca.crt") == true)

        try FileManager.default.copyItem(atPath: folder.certificateFile, toPath: empty + "/ca.crt")
        let noKey = #expect(throws: CertificateError.self) { try CertificateAuthorityDirectory.load(empty) }
        #expect(noKey?.detail.contains(empty + "/ca.key") == true)

        let stranger = try PrivateKey.generate()
        try Data(stranger.pemBytes()).write(to: URL(fileURLWithPath: empty + "/ca.key"))
        let mismatch = #expect(throws: CertificateError.self) { try CertificateAuthorityDirectory.load(empty) }
        #expect(mismatch?.code == .keyMismatch)
        #expect(mismatch?.detail.contains(empty + "/ca.key") == true)

        let leaf = try folder.authority.issue(CertificateSpec(subject: [.commonName("leaf")], kind: .client))
        try Data(leaf.certificate.pemString.utf8).write(to: URL(fileURLWithPath: empty + "/ca.crt"))
        try Data(leaf.key.pemBytes()).write(to: URL(fileURLWithPath: empty + "/ca.key"))
        let notCA = #expect(throws: CertificateError.self) { try CertificateAuthorityDirectory.load(empty) }
        #expect(notCA?.code == .notCertificateAuthority)
        #expect(notCA?.detail.contains(empty + "/ca.crt") == true)

        try Data("garbage".utf8).write(to: URL(fileURLWithPath: folder.path + "/index.json"))
        let badIndex = #expect(throws: CertificateError.self) { try folder.loadIndex() }
        #expect(badIndex?.code == .invalidRecord)
        #expect(badIndex?.detail.contains(folder.indexFile) == true)
    }

    @Test func intermediateFolderIssuesLeavesThatVerifyThroughTheChain() throws {
        let root = try self.makeRootFolder()
        let intermediate = try root.authority.issueIntermediate(
            CertificateSpec(subject: [.commonName("Tooling Intermediate")], kind: .intermediateCA, notBefore: self.now)
        )
        let path = try makeTemporaryDirectory() + "/intermediate"
        try CertificateAuthorityDirectory.create(at: path, authority: intermediate, chain: [root.authority.certificate])
        let loaded = try CertificateAuthorityDirectory.load(path)
        #expect(loaded.chain == [root.authority.certificate])
        let leaf = try loaded.authority.issue(
            CertificateSpec(subject: [.commonName("leaf")], kind: .client, notBefore: self.now)
        )
        #expect(loaded.issued(leaf.certificate))
        #expect(!root.issued(leaf.certificate))
        let store = TrustStore(certificates: [root.authority.certificate])
        #expect(
            store.verify(chain: [leaf.certificate, intermediate.certificate], at: self.now.addingTimeInterval(60)).isOK
        )
    }
}

@Suite struct RevocationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func indexRoundTripsThroughJSON() throws {
        let root = try CertificateAuthority.createRoot(CertificateSpec(subject: [.commonName("R")], kind: .rootCA))
        let client = try root.issue(CertificateSpec(subject: [.commonName("c")], kind: .client))
        var index = CertificateIndex()
        index.recordIssued(client.certificate, kind: "client", at: self.now)
        #expect(index.revoke(serialNumber: client.certificate.serialNumberHex.lowercased(), at: self.now) == .revoked)
        #expect(
            index.revoke(serialNumber: client.certificate.serialNumberHex, at: self.now) == .alreadyRevoked(self.now)
        )
        #expect(index.revoke(serialNumber: "00:0a:BC", at: self.now) == .revokedUnknownSerial)
        #expect(index.takeNextCRLNumber() == 1)

        let file = try makeTemporaryDirectory() + "/index.json"
        try index.save(to: file)
        let loaded = try CertificateIndex.load(file: file)
        #expect(loaded == index)
        #expect(loaded.revoked.map(\.serialNumber) == [client.certificate.serialNumberHex, "ABC"])
        #expect(loaded.certificates[0].subject == "CN=c")
        #expect(try loaded.jsonBytes() == index.jsonBytes())
    }

    @Test func serialNumbersAreNormalized() {
        #expect(CertificateIndex.normalizedSerial("00:ab:Cd") == "ABCD")
        #expect(CertificateIndex.normalizedSerial("000") == "0")
        #expect(CertificateIndex.isSerialNumber("0A:1b"))
        #expect(!CertificateIndex.isSerialNumber("client.crt"))
    }

    @Test func crlNumbersIncreaseAndTheCRLIsSignedByTheCA() throws {
        let directory = try makeTemporaryDirectory()
        let root = try CertificateAuthority.createRoot(
            CertificateSpec(
                subject: [.commonName("CRL Root")],
                kind: .rootCA,
                notBefore: self.now.addingTimeInterval(-86_400)
            )
        )
        let revokedLeaf = try root.issue(CertificateSpec(subject: [.commonName("gone")], kind: .client))
        let goodLeaf = try root.issue(CertificateSpec(subject: [.commonName("fine")], kind: .client))
        var index = CertificateIndex()
        index.recordIssued(revokedLeaf.certificate, kind: "client", at: self.now)
        _ = index.revoke(serialNumber: revokedLeaf.certificate.serialNumberHex, at: self.now)

        var numbers: [Int] = []
        var last: CertificateRevocationList?
        for _ in 0..<3 {
            let entries = index.revoked.map {
                CertificateRevocationList.RevokedCertificate(serialNumber: $0.serialNumber, revokedAt: $0.revokedAt!)
            }
            let crl = try CertificateRevocationList.sign(
                revoked: entries,
                crlNumber: index.takeNextCRLNumber(),
                thisUpdate: self.now,
                nextUpdate: self.now.addingTimeInterval(86_400),
                by: root
            )
            numbers.append(try #require(CertificateRevocationList.parse(Array(crl.pemString.utf8)).first?.crlNumber))
            last = crl
        }
        #expect(numbers == [1, 2, 3])
        let crl = try #require(last)
        #expect(crl.isSigned(by: root.certificate))
        #expect(!crl.isSigned(by: revokedLeaf.certificate))
        #expect(crl.issuer == root.certificate.subject)
        #expect(crl.thisUpdate == self.now)
        #expect(crl.nextUpdate == self.now.addingTimeInterval(86_400))
        #expect(
            crl.revokedCertificates == [
                .init(serialNumber: revokedLeaf.certificate.serialNumberHex, revokedAt: self.now)
            ]
        )

        let files = [
            "ca.crt": root.certificate.pemString, "crl.pem": crl.pemString,
            "gone.crt": revokedLeaf.certificate.pemString, "fine.crt": goodLeaf.certificate.pemString,
        ]
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        let verified = try runOpenSSL([
            "crl", "-in", directory + "/crl.pem", "-noout", "-CAfile", directory + "/ca.crt",
        ])
        #expect(verified.status == 0 && verified.output.contains("verify OK"), "\(verified.output)")
        func check(_ name: String) throws -> (status: Int32, output: String) {
            try runOpenSSL([
                "verify", "-attime", "\(Int(self.now.timeIntervalSince1970) + 60)", "-crl_check",
                "-CRLfile", directory + "/crl.pem", "-CAfile", directory + "/ca.crt", directory + "/" + name,
            ])
        }
        let gone = try check("gone.crt")
        #expect(gone.status != 0 && gone.output.contains("error 23"), "\(gone.output)")
        let fine = try check("fine.crt")
        #expect(fine.status == 0, "\(fine.output)")
    }
}

@Suite struct InspectionTests {
    @Test func keyDescriptionsAndUsages() throws {
        let root = try CertificateAuthority.createRoot(
            CertificateSpec(subject: [.commonName("R")], kind: .rootCA, keyType: .rsa(bits: 2048))
        )
        #expect(root.certificate.publicKeyDescription == PublicKeyDescription(algorithm: "RSA", bits: 2048, curve: nil))
        #expect(root.certificate.keyUsage == [.keyCertSign, .cRLSign])
        let server = try root.issue(CertificateSpec(subject: [.commonName("s")], kind: .server))
        #expect(server.certificate.publicKeyDescription.description == "EC P-256 (256 bits)")
        #expect(server.certificate.keyUsage == [.digitalSignature])
        #expect(server.certificate.isSigned(by: root.certificate))
        let report = CertificateReport(server.certificate, now: server.certificate.notBefore)
        #expect(report.extendedKeyUsage == ["serverAuth"])
        #expect(report.daysRemaining == 365)
        #expect(report.validity == "valid")
        #expect(report.sha1.colons.replacingOccurrences(of: ":", with: "") == report.sha1.hex)
        #expect(
            CertificateReport(server.certificate, now: server.certificate.notAfter.addingTimeInterval(86_400))
                .validity == "expired"
        )
    }

    @Test func thumbprintsMatchOpenSSL() throws {
        let directory = try makeTemporaryDirectory()
        let pki = try DevelopmentPKI.loadOrCreate(in: directory + "/pki", pfxPassword: "pw")
        let report = try CertificateFileReport(file: pki.clientPFXFile, password: "pw")
        #expect(report.format == "PKCS#12")
        #expect(report.certificates.map(\.subject) == [pki.clientCertificate.subject, pki.caCertificate.subject])
        let sha1 = try runOpenSSL(["x509", "-in", pki.clientCertificateFile, "-noout", "-fingerprint", "-sha1"])
        let sha256 = try runOpenSSL(["x509", "-in", pki.clientCertificateFile, "-noout", "-fingerprint", "-sha256"])
        #expect(sha1.output.contains("=" + report.certificates[0].sha1.colons + "\n"), "\(sha1.output)")
        #expect(sha256.output.contains("=" + report.certificates[0].sha256.colons + "\n"), "\(sha256.output)")
        let wrong = #expect(throws: CertificateError.self) {
            try CertificateFile.read(pki.clientPFXFile, password: "no")
        }
        #expect(wrong?.code == .wrongPassword)
        let chain = try CertificateFile.read(pki.caCertificateFile)
        #expect(chain.format == .pem && chain.certificates == [pki.caCertificate])
    }

    @Test func subjectAlternativeNamesParse() throws {
        #expect(try SubjectAlternativeName(parsing: "DNS:api.example.com") == .dnsName("api.example.com"))
        #expect(try SubjectAlternativeName(parsing: "ip:::1") == .ipAddress("::1"))
        #expect(try SubjectAlternativeName(parsing: "10.1.2.3") == .ipAddress("10.1.2.3"))
        #expect(try SubjectAlternativeName(parsing: "fe80::1") == .ipAddress("fe80::1"))
        #expect(try SubjectAlternativeName(parsing: "host") == .dnsName("host"))
        #expect(try SubjectAlternativeName(parsing: "URI:spiffe://example.org/a") == .uri("spiffe://example.org/a"))
        #expect(try SubjectAlternativeName(parsing: "email:a@example.com") == .email("a@example.com"))
        for bad in ["IP:300.1.1.1", "DNS:a b", "URI:nope", "email:nobody", "X400:x", "", "two words"] {
            #expect(throws: CertificateError.self, "\(bad)") { try SubjectAlternativeName(parsing: bad) }
        }
    }

    @Test func developmentPKIRecordsIssuedCertificatesAndExtraServerNames() throws {
        let directory = try makeTemporaryDirectory() + "/pki"
        #expect(DevelopmentPKI.existingFiles(in: directory).isEmpty)
        let pki = try DevelopmentPKI.loadOrCreate(
            in: directory,
            serverSANs: [.dnsName("gatehouse.test"), .ipAddress("::1")]
        )
        #expect(
            pki.serverCertificate.subjectAlternativeNames
                == [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1"), .dnsName("gatehouse.test")]
        )
        let folder = try CertificateAuthorityDirectory.load(directory)
        let index = try folder.loadIndex()
        #expect(
            index.certificates.map(\.serialNumber)
                == [pki.serverCertificate.serialNumberHex, pki.clientCertificate.serialNumberHex]
        )
        #expect(DevelopmentPKI.existingFiles(in: directory).count == 9)
    }
}
