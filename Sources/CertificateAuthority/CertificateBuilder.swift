import COpenSSL
import Foundation
import GatehouseCertificates

/// Builds and signs one X.509 v3 certificate with OpenSSL's API.
enum CertificateBuilder {
    static func build(
        _ spec: CertificateSpec,
        subjectKey: PrivateKey,
        issuer: CertificateAuthority?
    ) throws -> Certificate {
        OpenSSLErrorQueue.clear()
        guard let x509 = X509_new() else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_new") }
        var owned: OpaquePointer? = x509
        defer { if let owned { X509_free(owned) } }

        try check(X509_set_version(x509, 2), "X509_set_version")
        try setRandomSerial(x509)
        try check(
            ASN1_TIME_set(X509_getm_notBefore(x509), time_t(spec.notBefore.timeIntervalSince1970)) != nil ? 1 : 0,
            "notBefore"
        )
        try check(
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(spec.notAfter.timeIntervalSince1970)) != nil ? 1 : 0,
            "notAfter"
        )
        try setSubject(x509, spec.subject)
        try subjectKey.withUnsafeEVPKey { try check(X509_set_pubkey(x509, $0), "X509_set_pubkey") }

        let issuerName: OpaquePointer? =
            issuer.map { $0.certificate.withUnsafeX509 { X509_get_subject_name($0) } } ?? X509_get_subject_name(x509)
        try check(X509_set_issuer_name(x509, issuerName), "X509_set_issuer_name")

        let isRSA = subjectKey.withUnsafeEVPKey { EVP_PKEY_get_base_id($0) == EVP_PKEY_RSA }
        let extensions = extensionLines(spec, isRSA: isRSA, selfSigned: issuer == nil)
        if let issuer {
            try issuer.certificate.withUnsafeX509 { try addExtensions(extensions, to: x509, issuer: $0) }
        } else {
            try addExtensions(extensions, to: x509, issuer: x509)
        }

        let signingKey = issuer?.key ?? subjectKey
        let signed = signingKey.withUnsafeEVPKey { X509_sign(x509, $0, EVP_sha256()) }
        guard signed > 0 else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_sign") }
        owned = nil
        return Certificate(takingOwnership: x509)
    }

    /// The extensions for `spec` as (NID, OpenSSL config value) in the order they must be added: the SKI
    /// before the AKI, which reads the issuer's SKI (the certificate itself when self-signed).
    private static func extensionLines(_ spec: CertificateSpec, isRSA: Bool, selfSigned: Bool) -> [(Int32, String)] {
        var lines: [(Int32, String)] = []
        let leafUsage = isRSA ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"
        switch spec.kind {
        case .rootCA:
            lines.append((NID_basic_constraints, "critical,CA:TRUE"))
            lines.append((NID_key_usage, "critical,keyCertSign,cRLSign"))
        case .intermediateCA:
            lines.append((NID_basic_constraints, "critical,CA:TRUE,pathlen:0"))
            lines.append((NID_key_usage, "critical,keyCertSign,cRLSign"))
        case .server:
            lines.append((NID_basic_constraints, "critical,CA:FALSE"))
            lines.append((NID_key_usage, leafUsage))
            lines.append((NID_ext_key_usage, "serverAuth"))
        case .client:
            lines.append((NID_basic_constraints, "critical,CA:FALSE"))
            lines.append((NID_key_usage, leafUsage))
            lines.append((NID_ext_key_usage, "clientAuth"))
        case .ocspResponder:
            lines.append((NID_basic_constraints, "critical,CA:FALSE"))
            lines.append((NID_key_usage, "critical,digitalSignature"))
            lines.append((NID_ext_key_usage, "OCSPSigning"))
        }
        lines.append((NID_subject_key_identifier, "hash"))
        lines.append((NID_authority_key_identifier, selfSigned ? "keyid" : "keyid:always"))
        if !spec.sans.isEmpty {
            lines.append((NID_subject_alt_name, spec.sans.map(\.description).joined(separator: ",")))
        }
        if let url = spec.ocspResponderURL {
            lines.append((NID_info_access, "OCSP;URI:\(url)"))
        }
        return lines
    }

    private static func addExtensions(_ lines: [(Int32, String)], to x509: OpaquePointer, issuer: OpaquePointer) throws
    {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer, x509, nil, nil, 0)
        for (nid, value) in lines {
            guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                throw CertificateError.fromOpenSSL(
                    .generationFailed,
                    "extension \(String(cString: OBJ_nid2sn(nid))) = \(value)"
                )
            }
            defer { X509_EXTENSION_free(ext) }
            try check(X509_add_ext(x509, ext, -1), "X509_add_ext")
        }
    }

    private static func setRandomSerial(_ x509: OpaquePointer) throws {
        guard let bignum = BN_new() else { throw CertificateError.fromOpenSSL(.generationFailed, "BN_new") }
        defer { BN_free(bignum) }
        // 128 random bits; BIGNUMs from BN_rand are never negative.
        try check(BN_rand(bignum, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand")
        guard let serial = BN_to_ASN1_INTEGER(bignum, nil) else {
            throw CertificateError.fromOpenSSL(.generationFailed, "BN_to_ASN1_INTEGER")
        }
        defer { ASN1_INTEGER_free(serial) }
        try check(X509_set_serialNumber(x509, serial), "X509_set_serialNumber")
    }

    private static func setSubject(_ x509: OpaquePointer, _ attributes: [NameAttribute]) throws {
        guard let name = X509_NAME_new() else { throw CertificateError.fromOpenSSL(.generationFailed, "X509_NAME_new") }
        defer { X509_NAME_free(name) }
        for attribute in attributes {
            let bytes = Array(attribute.value.utf8)
            let added = X509_NAME_add_entry_by_txt(
                name,
                attribute.type,
                gatehouse_MBSTRING_UTF8(),
                bytes,
                Int32(bytes.count),
                -1,
                0
            )
            try check(added, "subject attribute \(attribute.type)")
        }
        try check(X509_set_subject_name(x509, name), "X509_set_subject_name")
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 1 else { throw CertificateError.fromOpenSSL(.generationFailed, what) }
    }
}
