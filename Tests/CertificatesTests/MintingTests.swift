import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import TestSupport
import Testing

@Suite struct MintingTests {
    @Test func mintedChainsVerifyWithOpenSSL() throws {
        let pki = try TestPKI.shared()
        for identity in [pki.server, pki.client, pki.rootClient] {
            let result = try runOpenSSL([
                "verify", "-CAfile", pki.rootCAFile, "-untrusted", pki.intermediateCAFile,
                identity.certificateFile,
            ])
            #expect(result.status == 0, "\(identity.name): \(result.output)")
        }
        let stranger = try runOpenSSL(["verify", "-CAfile", pki.rootCAFile, pki.strangerClient.certificateFile])
        #expect(stranger.status != 0)
    }

    @Test func extensionsAreAsSpecified() throws {
        let pki = try TestPKI.shared()
        let root = try runOpenSSL([
            "x509", "-noout", "-in", pki.rootCAFile, "-ext",
            "basicConstraints,keyUsage,subjectKeyIdentifier",
        ])
        #expect(root.output.contains("critical"))
        #expect(root.output.contains("CA:TRUE"))
        #expect(root.output.contains("Certificate Sign, CRL Sign"))
        #expect(root.output.contains("Subject Key Identifier"))

        let server = try runOpenSSL([
            "x509", "-noout", "-in", pki.server.certificateFile, "-ext",
            "subjectAltName,extendedKeyUsage,keyUsage,authorityKeyIdentifier",
        ])
        #expect(server.output.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        #expect(server.output.contains("TLS Web Server Authentication"))
        #expect(server.output.contains("Digital Signature"))
        #expect(server.output.contains("Authority Key Identifier"))

        let client = try runOpenSSL(["x509", "-noout", "-in", pki.client.certificateFile, "-ext", "extendedKeyUsage"])
        #expect(client.output.contains("TLS Web Client Authentication"))
    }

    @Test func parsedFactsMatchTheSpec() throws {
        let pki = try TestPKI.shared()
        #expect(
            pki.server.certificate.subjectAlternativeNames
                == [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1")]
        )
        #expect(pki.client.certificate.extendedKeyUsage == [.clientAuth])
        #expect(pki.client.certificate.allowsClientAuthentication)
        #expect(!pki.serverEKUClient.certificate.allowsClientAuthentication)
        #expect(pki.rootCA.isCertificateAuthority && pki.rootCA.isSelfIssued)
        #expect(
            pki.client.certificate.subject == "CN=client,O=Gatehouse Tests"
                || pki.client.certificate.subject == "O=Gatehouse Tests,CN=client"
        )
        #expect(pki.expiredClient.certificate.notAfter < pki.referenceTime)
    }

    @Test func customSANsAndRSAKeys() throws {
        let root = try CertificateAuthority.createRoot(
            CertificateSpec(subject: [.commonName("RSA CA")], kind: .rootCA, keyType: .rsa(bits: 2048))
        )
        let sans: [SubjectAlternativeName] = [
            .dnsName("svc.example"), .uri("spiffe://example.org/a"),
            .email("ops@example.org"), .ipAddress("10.0.0.1"),
        ]
        let leaf = try root.issue(
            CertificateSpec(
                subject: [.commonName("svc"), .organizationalUnit("Ops")],
                kind: .client,
                sans: sans
            )
        )
        #expect(leaf.certificate.subjectAlternativeNames == sans)
        #expect(TrustStore(certificates: [root.certificate]).verify(chain: [leaf.certificate]).isOK)
        #expect(leaf.certificate.serialNumberHex != root.certificate.serialNumberHex)
    }

    @Test func thumbprintsMatchOpenSSL() throws {
        let pki = try TestPKI.shared()
        let certificate = pki.client.certificate
        let sha256 = try runOpenSSL(["x509", "-noout", "-fingerprint", "-sha256", "-in", pki.client.certificateFile])
        let sha1 = try runOpenSSL(["x509", "-noout", "-fingerprint", "-sha1", "-in", pki.client.certificateFile])
        func hex(_ output: String) -> String {
            String(output.split(separator: "=").last ?? "").replacingOccurrences(of: ":", with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(hex(sha256.output) == certificate.sha256.hexString)
        #expect(hex(sha1.output) == certificate.sha1.hexString)
    }

    @Test func pemRoundTripsAndDERFilesLoad() throws {
        let pki = try TestPKI.shared()
        let chain = try Certificate.loadChain(pemFile: pki.client.chainFile)
        #expect(chain == pki.client.chain)
        #expect(try Certificate.parsePEM(Array(chain.pemString.utf8)) == chain)

        let directory = try makeTemporaryDirectory()
        let derFile = directory + "/client.der"
        try Data(pki.client.certificate.derBytes).write(to: URL(fileURLWithPath: derFile))
        #expect(try Certificate.loadChain(pemFile: derFile) == [pki.client.certificate])

        let missing = #expect(throws: CertificateError.self) { try Certificate.loadChain(pemFile: directory + "/nope") }
        #expect(missing?.detail.contains("/nope") == true)
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: directory + "/junk.pem"))
        #expect(throws: CertificateError.self) { try Certificate.loadChain(pemFile: directory + "/junk.pem") }
    }

    @Test func privateKeysRoundTripThroughPEM() throws {
        let pki = try TestPKI.shared()
        let key = try PrivateKey(pemFile: pki.client.keyFile)
        #expect(key.matches(pki.client.certificate))
        #expect(!key.matches(pki.server.certificate))
        let pem = String(decoding: try key.pemBytes(), as: UTF8.self)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(throws: CertificateError.self) { try PrivateKey.generate(.rsa(bits: 1024)) }
    }
}
