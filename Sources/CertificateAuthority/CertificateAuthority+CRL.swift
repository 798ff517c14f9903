public import Foundation
public import GatehouseCertificates

extension CertificateAuthority {
    /// Signs a CRL numbered 1 revoking `certificates` (by serial number), each as of `lastUpdate`.
    ///
    /// For a CA that issues CRLs over time, use ``CertificateRevocationList/sign(revoked:crlNumber:thisUpdate:nextUpdate:by:)``
    /// with an increasing number (`gatehouse certs revoke` keeps it in the CA folder's index).
    /// - Throws: ``CertificateError/Code/generationFailed``.
    public func issueCRL(
        revoking certificates: [Certificate],
        lastUpdate: Date,
        nextUpdate: Date
    ) throws -> CertificateRevocationList {
        try CertificateRevocationList.sign(
            revoked: certificates.map { .init(serialNumber: $0.serialNumberHex, revokedAt: lastUpdate) },
            crlNumber: 1,
            thisUpdate: lastUpdate,
            nextUpdate: nextUpdate,
            by: self
        )
    }
}
