import Foundation
import GatehouseCertificates

/// What the policy compares about a leaf, computed once per evaluation.
struct CertificateFacts: Sendable {
    let certificate: Certificate
    let sha1: [UInt8]
    let sha256: [UInt8]
    let spki: [UInt8]
    let serialNumber: String
    let subject: DistinguishedName
    let issuer: DistinguishedName
    let commonName: String?
    let dnsNames: Set<String>
    let uris: Set<String>
    let emails: Set<String>
    let ipAddresses: Set<[UInt8]>
    let notBefore: Date
    let notAfter: Date
    let isCertificateAuthority: Bool
    let allowsClientAuthentication: Bool

    init(_ certificate: Certificate) {
        self.certificate = certificate
        self.sha1 = certificate.sha1
        self.sha256 = certificate.sha256
        self.spki = certificate.spkiSHA256
        self.serialNumber = certificate.serialNumberHex
        self.subject = certificate.subjectName
        self.issuer = certificate.issuerName
        self.commonName = certificate.commonName
        var dns = Set<String>()
        var uris = Set<String>()
        var emails = Set<String>()
        var ips = Set<[UInt8]>()
        for name in certificate.subjectAlternativeNames {
            switch name {
            case .dnsName(let value): dns.insert(PolicyValueParsing.dnsName(value))
            case .uri(let value): uris.insert(value)
            case .email(let value): emails.insert(PolicyValueParsing.email(value))
            case .ipAddress(let value): if let bytes = PolicyValueParsing.ipAddress(value) { ips.insert(bytes) }
            }
        }
        self.dnsNames = dns
        self.uris = uris
        self.emails = emails
        self.ipAddresses = ips
        self.notBefore = certificate.notBefore
        self.notAfter = certificate.notAfter
        self.isCertificateAuthority = certificate.isCertificateAuthority
        self.allowsClientAuthentication = certificate.allowsClientAuthentication
    }

    /// `subject …, sha256 …` for logs.
    var summary: String { "subject \(self.certificate.subject), sha256 \(self.sha256.hexString)" }
}
