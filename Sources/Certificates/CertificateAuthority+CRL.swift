import COpenSSL
public import Foundation

extension CertificateAuthority {
    /// Signs a version 2 CRL revoking `certificates` (by serial number), sha256.
    ///
    /// - Parameters:
    ///   - certificates: the certificates to list; they should be this CA's.
    ///   - lastUpdate: the CRL's issue time (also used as each revocation date).
    ///   - nextUpdate: when the next CRL is due.
    /// - Throws: ``CertificateError/Code/generationFailed``.
    public func issueCRL(
        revoking certificates: [Certificate],
        lastUpdate: Date,
        nextUpdate: Date
    ) throws -> CertificateRevocationList {
        OpenSSLErrorQueue.clear()
        guard let crl = X509_CRL_new() else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_CRL_new") }
        var owned: OpaquePointer? = crl
        defer { if let owned { X509_CRL_free(owned) } }
        try checkCRL(X509_CRL_set_version(crl, 1), "X509_CRL_set_version")
        try self.certificate.withUnsafeX509 { ca in
            try checkCRL(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)), "X509_CRL_set_issuer_name")
        }
        try setTime(lastUpdate) { X509_CRL_set1_lastUpdate(crl, $0) }
        try setTime(nextUpdate) { X509_CRL_set1_nextUpdate(crl, $0) }
        for certificate in certificates {
            try addRevoked(certificate, at: lastUpdate, to: crl)
        }
        _ = X509_CRL_sort(crl)
        let signed = self.key.withUnsafeEVPKey { X509_CRL_sign(crl, $0, EVP_sha256()) }
        guard signed > 0 else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_CRL_sign") }
        owned = nil
        return CertificateRevocationList(takingOwnership: crl)
    }
}

private func addRevoked(_ certificate: Certificate, at date: Date, to crl: OpaquePointer) throws {
    guard let revoked = X509_REVOKED_new() else {
        throw CertificateError.fromOpenSSL(.generationFailed, "X509_REVOKED_new")
    }
    var owned: OpaquePointer? = revoked
    defer { if let owned { X509_REVOKED_free(owned) } }
    try certificate.withUnsafeX509 { x509 in
        try checkCRL(X509_REVOKED_set_serialNumber(revoked, X509_get_serialNumber(x509)), "revoked serial")
    }
    try setTime(date) { X509_REVOKED_set_revocationDate(revoked, $0) }
    try checkCRL(X509_CRL_add0_revoked(crl, revoked), "X509_CRL_add0_revoked")
    owned = nil  // the CRL owns it now
}

private func setTime(_ date: Date, _ apply: (UnsafeMutablePointer<ASN1_TIME>) -> Int32) throws {
    guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970)) else {
        throw CertificateError.fromOpenSSL(.generationFailed, "ASN1_TIME_set")
    }
    defer { ASN1_TIME_free(time) }
    try checkCRL(apply(time), "CRL time")
}

private func checkCRL(_ result: Int32, _ what: String) throws {
    guard result == 1 else { throw CertificateError.fromOpenSSL(.generationFailed, what) }
}
