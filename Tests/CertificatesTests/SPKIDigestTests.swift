import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import TestSupport
import Testing

@Suite struct SPKIDigestTests {
    /// The SubjectPublicKeyInfo DER of a certificate file, as `openssl x509 -pubkey` prints it.
    private func opensslSPKI(_ file: String) throws -> [UInt8] {
        let result = try runOpenSSL(["x509", "-noout", "-pubkey", "-in", file])
        try #require(result.status == 0, "\(result.output)")
        let base64 = result.output.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(try #require(Data(base64Encoded: base64)))
    }

    @Test func spkiDigestMatchesOpenSSLForECDSAKeys() throws {
        let pki = try TestPKI.shared()
        for identity in [pki.client, pki.server, pki.rootClient] {
            #expect(identity.certificate.spkiSHA256 == Digest.sha256(try self.opensslSPKI(identity.certificateFile)))
        }
        #expect(pki.client.certificate.spkiSHA256 != pki.server.certificate.spkiSHA256)
    }

    @Test func spkiDigestMatchesOpenSSLForRSAKeys() throws {
        let root = try CertificateAuthority.createRoot(
            CertificateSpec(
                subject: [.commonName("SPKI RSA Root")],
                kind: .rootCA,
                keyType: .rsa(bits: 2048)
            )
        )
        let directory = try makeTemporaryDirectory()
        let file = (directory as NSString).appendingPathComponent("root.crt")
        try root.certificate.pemString.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(root.certificate.spkiSHA256 == Digest.sha256(try self.opensslSPKI(file)))
    }
}
