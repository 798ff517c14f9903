import Foundation
import GatehouseCertificates

/// Bytes through every loader of certificate material: PEM certificates, a DER certificate, PKCS#12 with the
/// seeds' password, CRLs, a PEM private key; everything they accept is then read the way `gatehouse certs inspect`,
/// the policy and the TLS setup read it. Errors are expected; traps and sanitizer reports are findings.
enum CertificatesTarget {
    /// The password of the PKCS#12 seeds (Fuzz/README.md).
    static let password = "fuzz"

    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        if let certificates = try? Certificate.parsePEM(bytes) {
            for certificate in certificates { Self.inspect(certificate) }
        }
        if let certificate = try? Certificate(derBytes: bytes) {
            Self.inspect(certificate)
        }
        if let bundle = try? PKCS12Bundle.parse(bytes, password: Self.password) {
            Self.inspect(bundle.certificate)
            for certificate in bundle.chain { Self.inspect(certificate) }
            _ = bundle.key.matches(bundle.certificate)
            _ = try? bundle.key.pemBytes()
        }
        if let lists = try? CertificateRevocationList.parse(bytes) {
            for list in lists { Self.inspect(list) }
        }
        // An encrypted PEM key without a password makes OpenSSL ask on the terminal (issue 13, point 6): skipped
        // until the loader refuses it instead.
        if !bytes.contains(subsequence: Array("ENCRYPTED".utf8)), let key = try? PrivateKey(pemBytes: bytes) {
            _ = try? key.pemBytes()
        }
    }

    static func inspect(_ certificate: Certificate) {
        _ = certificate.subject
        _ = certificate.issuer
        _ = certificate.subjectName.description
        _ = certificate.issuerName.description
        _ = certificate.commonName
        _ = certificate.serialNumberHex
        _ = certificate.isSelfIssued
        _ = certificate.isCertificateAuthority
        _ = certificate.notBefore
        _ = certificate.notAfter
        _ = certificate.spkiSHA256
        _ = certificate.subjectAlternativeNames.map(\.description)
        _ = certificate.extendedKeyUsage
        _ = certificate.allowsClientAuthentication
        _ = certificate.keyUsage
        _ = certificate.publicKeyDescription.description
        _ = certificate.isSigned(by: certificate)
        _ = certificate.pemString
        _ = CertificateReport(certificate, now: Date(timeIntervalSince1970: 1_800_000_000)).text
    }

    static func inspect(_ list: CertificateRevocationList) {
        _ = list.issuer
        _ = list.issuerName.description
        _ = list.thisUpdate
        _ = list.nextUpdate
        _ = list.crlNumber
        _ = list.revokedCertificates
        _ = list.pemString
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= self.count else { return false }
        return (0...(self.count - subsequence.count)).contains { start in
            self[start..<(start + subsequence.count)].elementsEqual(subsequence)
        }
    }
}
