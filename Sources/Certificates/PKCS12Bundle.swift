import COpenSSL

/// Reads and writes PKCS#12 (`.pfx`, `.p12`) files: a certificate, its key and optional chain.
public enum PKCS12Bundle {
    /// Reads a PKCS#12 file.
    /// - Returns: the leaf certificate, its key, and the other certificates in the file.
    /// - Throws: ``CertificateError/Code/wrongPassword`` when the password does not open it,
    ///   ``CertificateError/Code/invalidPKCS12`` otherwise; both name the file.
    public static func load(
        file path: String,
        password: String
    ) throws -> (certificate: Certificate, key: PrivateKey, chain: [Certificate]) {
        try self.parse(readFileBytes(path), password: password, source: path)
    }

    /// Parses PKCS#12 bytes; see ``load(file:password:)``.
    public static func parse(
        _ bytes: [UInt8],
        password: String,
        source: String = "PKCS#12 data"
    ) throws -> (certificate: Certificate, key: PrivateKey, chain: [Certificate]) {
        OpenSSLErrorQueue.clear()
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PKCS12(nil, &cursor, buffer.count)
        }
        guard let p12 = parsed else { throw CertificateError.fromOpenSSL(.invalidPKCS12, source) }
        defer { PKCS12_free(p12) }
        if PKCS12_mac_present(p12) == 1 && PKCS12_verify_mac(p12, password, -1) != 1 {
            OpenSSLErrorQueue.clear()
            throw CertificateError(.wrongPassword, "\(source): the password does not open the file")
        }
        var key: OpaquePointer? = nil
        var certificate: OpaquePointer? = nil
        var others: OpaquePointer? = nil
        guard PKCS12_parse(p12, password, &key, &certificate, &others) == 1 else {
            throw CertificateError.fromOpenSSL(.invalidPKCS12, source)
        }
        defer { if let others { gatehouse_sk_X509_pop_free(others) } }
        guard let key else {
            if let certificate { X509_free(certificate) }
            throw CertificateError(.invalidKey, "\(source): no private key in the file")
        }
        let privateKey = PrivateKey(takingOwnership: key)
        guard let certificate else { throw CertificateError(.noCertificate, "\(source): no certificate in the file") }
        var chain: [Certificate] = []
        if let others {
            for index in 0..<gatehouse_sk_X509_num(others) {
                if let x509 = gatehouse_sk_X509_value(others, index) { chain.append(Certificate(copying: x509)) }
            }
        }
        return (Certificate(takingOwnership: certificate), privateKey, chain)
    }

    /// Encodes a certificate, key and chain as PKCS#12 with OpenSSL 3's defaults (AES-256-CBC, PBKDF2,
    /// HMAC-SHA256 MAC), readable by `openssl pkcs12`, curl `--cert-type P12`, Windows and macOS.
    /// - Throws: ``CertificateError/Code/keyMismatch`` or ``CertificateError/Code/generationFailed``.
    public static func encode(
        certificate: Certificate,
        key: PrivateKey,
        chain: [Certificate] = [],
        password: String,
        friendlyName: String? = nil
    ) throws -> [UInt8] {
        guard key.matches(certificate) else {
            throw CertificateError(.keyMismatch, "PKCS#12: the key does not match \(certificate.subject)")
        }
        OpenSSLErrorQueue.clear()
        guard let stack = gatehouse_sk_X509_new_null() else {
            throw CertificateError.fromOpenSSL(.generationFailed, "sk_X509_new_null")
        }
        defer { gatehouse_sk_X509_free(stack) }  // borrowed certificates
        for other in chain { _ = other.withUnsafeX509 { gatehouse_sk_X509_push(stack, $0) } }
        let p12: OpaquePointer? = withExtendedLifetime(chain) {
            certificate.withUnsafeX509 { x509 in
                key.withUnsafeEVPKey { pkey in
                    PKCS12_create(password, friendlyName, pkey, x509, stack, 0, 0, 0, 0, 0)
                }
            }
        }
        guard let p12 else { throw CertificateError.fromOpenSSL(.generationFailed, "PKCS12_create") }
        defer { PKCS12_free(p12) }
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PKCS12(p12, &der)
        guard length > 0, let der else { throw CertificateError.fromOpenSSL(.generationFailed, "i2d_PKCS12") }
        defer { CRYPTO_free(der, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }
}
