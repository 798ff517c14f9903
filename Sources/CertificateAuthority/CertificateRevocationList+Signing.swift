import COpenSSL
public import Foundation
public import GatehouseCertificates

extension CertificateRevocationList {
    /// Signs a CRL with SHA-256.
    /// - Parameters:
    ///   - revoked: the revoked certificates (sorted by serial number in the output, as RFC 5280 allows).
    ///   - crlNumber: the crlNumber extension; must increase with every CRL the CA signs.
    ///   - thisUpdate: the issue date.
    ///   - nextUpdate: when relying parties should expect a newer CRL.
    ///   - authority: the issuing CA; its keyUsage must allow cRLSign (``CertificateSpec/Kind/rootCA`` and
    ///     ``CertificateSpec/Kind/intermediateCA`` do).
    /// - Throws: ``CertificateError/Code/generationFailed``.
    public static func sign(
        revoked: [RevokedCertificate],
        crlNumber: Int,
        thisUpdate: Date,
        nextUpdate: Date,
        by authority: CertificateAuthority
    ) throws -> CertificateRevocationList {
        OpenSSLErrorQueue.clear()
        guard let crl = X509_CRL_new() else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_CRL_new") }
        let list = CertificateRevocationList(takingOwnership: crl)  // frees the CRL on every throw below
        try check(X509_CRL_set_version(crl, 1), "X509_CRL_set_version")  // 1 means v2
        try authority.certificate.withUnsafeX509 { caX509 in
            try check(X509_CRL_set_issuer_name(crl, X509_get_subject_name(caX509)), "X509_CRL_set_issuer_name")
        }
        try setTime(thisUpdate, "thisUpdate") { X509_CRL_set1_lastUpdate(crl, $0) }
        try setTime(nextUpdate, "nextUpdate") { X509_CRL_set1_nextUpdate(crl, $0) }
        for entry in revoked { try addRevoked(entry, to: crl) }
        try check(X509_CRL_sort(crl), "X509_CRL_sort")
        try addExtensions(to: crl, crlNumber: crlNumber, issuer: authority.certificate)
        let signed = authority.key.withUnsafeEVPKey { X509_CRL_sign(crl, $0, EVP_sha256()) }
        guard signed > 0 else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_CRL_sign") }
        return list
    }
}

private func check(_ result: Int32, _ what: String) throws {
    guard result == 1 else { throw CertificateError.fromOpenSSL(.generationFailed, what) }
}

private func setTime(_ date: Date, _ what: String, _ body: (UnsafePointer<ASN1_TIME>) -> Int32) throws {
    guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970)) else {
        throw CertificateError.fromOpenSSL(.generationFailed, what)
    }
    defer { ASN1_TIME_free(time) }
    try check(body(time), what)
}

private func addRevoked(_ entry: CertificateRevocationList.RevokedCertificate, to crl: OpaquePointer) throws {
    guard let revoked = X509_REVOKED_new() else {
        throw CertificateError.fromOpenSSL(.generationFailed, "X509_REVOKED_new")
    }
    var owned: OpaquePointer? = revoked
    defer { if let owned { X509_REVOKED_free(owned) } }
    var bignum: OpaquePointer? = nil
    guard BN_hex2bn(&bignum, entry.serialNumber) > 0, let bignum else {
        throw CertificateError(.generationFailed, "serial number \(entry.serialNumber) is not hex")
    }
    defer { BN_free(bignum) }
    guard let serial = BN_to_ASN1_INTEGER(bignum, nil) else {
        throw CertificateError.fromOpenSSL(.generationFailed, "BN_to_ASN1_INTEGER")
    }
    defer { ASN1_INTEGER_free(serial) }
    try check(X509_REVOKED_set_serialNumber(revoked, serial), "X509_REVOKED_set_serialNumber")
    guard let time = ASN1_TIME_set(nil, time_t(entry.revokedAt.timeIntervalSince1970)) else {
        throw CertificateError.fromOpenSSL(.generationFailed, "revocationDate")
    }
    defer { ASN1_TIME_free(time) }
    try check(X509_REVOKED_set_revocationDate(revoked, time), "X509_REVOKED_set_revocationDate")
    try check(X509_CRL_add0_revoked(crl, revoked), "X509_CRL_add0_revoked")
    owned = nil  // the CRL owns it now
}

/// crlNumber (non-critical) and authorityKeyIdentifier (the CA's subjectKeyIdentifier).
private func addExtensions(to crl: OpaquePointer, crlNumber: Int, issuer: Certificate) throws {
    guard let number = ASN1_INTEGER_new() else {
        throw CertificateError.fromOpenSSL(.generationFailed, "ASN1_INTEGER_new")
    }
    defer { ASN1_INTEGER_free(number) }
    try check(ASN1_INTEGER_set(number, crlNumber), "crlNumber")
    try check(X509_CRL_add1_ext_i2d(crl, NID_crl_number, UnsafeMutableRawPointer(number), 0, 0), "crlNumber")
    try issuer.withUnsafeX509 { caX509 in
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, caX509, nil, nil, crl, 0)
        guard let ext = X509V3_EXT_nconf_nid(nil, &context, NID_authority_key_identifier, "keyid:always") else {
            throw CertificateError.fromOpenSSL(.generationFailed, "authorityKeyIdentifier (the CA has no SKI?)")
        }
        defer { X509_EXTENSION_free(ext) }
        try check(X509_CRL_add_ext(crl, ext, -1), "X509_CRL_add_ext")
    }
}
