import COpenSSL
package import Foundation
package import GatehouseCertificates

/// Mints the certificates no well-behaved CA issues, for attack tests: a subject and key identifier copied from
/// another certificate, an extension given as raw DER (malformed on purpose), an intermediate limited to a purpose.
///
/// Extensions are OpenSSL config values (`X509V3_EXT_nconf_nid`) unless given as raw DER. Keys are ECDSA P-256.
package enum AttackCertificateMinter {
    /// One extension: an OpenSSL config value, or raw DER for the extension's value (its OCTET STRING contents).
    package enum Extension: Sendable {
        case config(Int32, String)
        case raw(Int32, critical: Bool, der: [UInt8])
    }

    /// A certificate over `key` named `subject` (the name of `subjectOf`, or `CN=<commonName>`), signed by
    /// `issuer` (`nil`: self-signed), valid from a day before `now` for 30 days.
    package static func mint(
        subjectOf copied: Certificate? = nil,
        commonName: String = "attack",
        key: PrivateKey,
        issuer: (certificate: Certificate, key: PrivateKey)?,
        extensions: [Extension],
        now: Date = Date()
    ) throws -> Certificate {
        let x509 = X509_new()!
        var owned: OpaquePointer? = x509
        defer { if let owned { X509_free(owned) } }
        X509_set_version(x509, 2)
        let serial = ASN1_INTEGER_new()!
        defer { ASN1_INTEGER_free(serial) }
        ASN1_INTEGER_set_uint64(serial, UInt64.random(in: 1..<UInt64.max >> 1))
        X509_set_serialNumber(x509, serial)
        ASN1_TIME_set(X509_getm_notBefore(x509), time_t(now.timeIntervalSince1970 - 86_400))
        ASN1_TIME_set(X509_getm_notAfter(x509), time_t(now.timeIntervalSince1970 + 30 * 86_400))
        if let copied {
            copied.withUnsafeX509 { _ = X509_set_subject_name(x509, X509_get_subject_name($0)) }
        } else {
            let name = X509_NAME_new()!
            defer { X509_NAME_free(name) }
            let bytes = Array(commonName.utf8)
            X509_NAME_add_entry_by_txt(name, "CN", gatehouse_MBSTRING_UTF8(), bytes, Int32(bytes.count), -1, 0)
            X509_set_subject_name(x509, name)
        }
        key.withUnsafeEVPKey { _ = X509_set_pubkey(x509, $0) }
        let issuerX509: Certificate? = issuer?.certificate
        if let issuerX509 {
            issuerX509.withUnsafeX509 { _ = X509_set_issuer_name(x509, X509_get_subject_name($0)) }
        } else {
            X509_set_issuer_name(x509, X509_get_subject_name(x509))
        }
        for item in extensions {
            let ext: OpaquePointer?
            switch item {
            case .config(let nid, let value):
                var context = X509V3_CTX()
                if let issuerX509 {
                    ext = issuerX509.withUnsafeX509 { issuerPointer in
                        X509V3_set_ctx(&context, issuerPointer, x509, nil, nil, 0)
                        return X509V3_EXT_nconf_nid(nil, &context, nid, value)
                    }
                } else {
                    X509V3_set_ctx(&context, x509, x509, nil, nil, 0)
                    ext = X509V3_EXT_nconf_nid(nil, &context, nid, value)
                }
            case .raw(let nid, let critical, let der):
                let octets = ASN1_OCTET_STRING_new()!
                defer { ASN1_OCTET_STRING_free(octets) }
                ASN1_OCTET_STRING_set(octets, der, Int32(der.count))
                ext = X509_EXTENSION_create_by_NID(nil, nid, critical ? 1 : 0, octets)
            }
            guard let ext else { throw CertificateError(.generationFailed, "attack extension \(item)") }
            defer { X509_EXTENSION_free(ext) }
            X509_add_ext(x509, ext, -1)
        }
        let signer = issuer?.key ?? key
        guard signer.withUnsafeEVPKey({ X509_sign(x509, $0, EVP_sha256()) }) > 0 else {
            throw CertificateError(.generationFailed, "attack certificate signature")
        }
        owned = nil
        return Certificate(takingOwnership: x509)
    }

    /// The subjectKeyIdentifier of `certificate` as hex with colons (an OpenSSL config value), or nil.
    package static func subjectKeyIdentifier(of certificate: Certificate) -> String? {
        certificate.withUnsafeX509 { x509 in
            guard let identifier = X509_get0_subject_key_id(x509), let data = ASN1_STRING_get0_data(identifier)
            else { return nil }
            let bytes = UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(identifier)))
            return bytes.map { String(format: "%02X", $0) }.joined(separator: ":")
        }
    }
}
