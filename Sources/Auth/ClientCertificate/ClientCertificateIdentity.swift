public import Certificates
public import Foundation

/// Who a client certificate says the caller is, after it passed the policy.
public struct ClientCertificateIdentity: Sendable, Hashable {
    /// The leaf certificate.
    public let certificate: Certificate
    /// The chain as the client sent it, leaf first.
    public let presentedChain: [Certificate]

    /// Creates an identity for a verified leaf and the chain it came with.
    public init(certificate: Certificate, presentedChain: [Certificate]) {
        self.certificate = certificate
        self.presentedChain = presentedChain
    }

    /// The subject, RFC 4514.
    public var subject: String { self.certificate.subject }
    /// The issuer, RFC 4514.
    public var issuer: String { self.certificate.issuer }
    /// The serial number, uppercase hex.
    public var serialNumber: String { self.certificate.serialNumberHex }
    /// SHA-256 thumbprint, uppercase hex.
    public var sha256Thumbprint: String { self.certificate.sha256.hexString }
    /// SHA-1 thumbprint, uppercase hex, as Windows and Azure show it.
    public var sha1Thumbprint: String { self.certificate.sha1.hexString }
    /// The end of the certificate's validity.
    public var notAfter: Date { self.certificate.notAfter }
}
