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
        guard let p12 = parsed else {
            throw CertificateError.fromOpenSSL(.invalidPKCS12, "\(source): not a PKCS#12 (.pfx, .p12) file")
        }
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

    /// Encodes a certificate, key and chain as PKCS#12, readable by `openssl pkcs12` and curl `--cert-type P12`.
    ///
    /// ``PKCS12Compatibility/modern`` (the default) uses OpenSSL 3's algorithms: AES-256-CBC with PBKDF2 and an
    /// HMAC-SHA256 MAC, which current Windows and macOS import. ``PKCS12Compatibility/legacy`` uses 3DES
    /// (`pbeWithSHA1And3-KeyTripleDES-CBC`) for the key and the certificates and an HMAC-SHA1 MAC, for Windows
    /// before Server 2019 / 10 1709 and keychain imports that refuse the modern file.
    /// - Throws: ``CertificateError/Code/keyMismatch`` or ``CertificateError/Code/generationFailed``.
    public static func encode(
        certificate: Certificate,
        key: PrivateKey,
        chain: [Certificate] = [],
        password: String,
        friendlyName: String? = nil,
        compatibility: PKCS12Compatibility = .modern
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
        // 0 picks OpenSSL's defaults; the legacy file gets its MAC below (-1: none from PKCS12_create).
        let (algorithm, macIterations): (Int32, Int32) =
            compatibility == .legacy ? (NID_pbe_WithSHA1And3_Key_TripleDES_CBC, -1) : (0, 0)
        let p12: OpaquePointer? = withExtendedLifetime(chain) {
            certificate.withUnsafeX509 { x509 in
                key.withUnsafeEVPKey { pkey in
                    PKCS12_create(password, friendlyName, pkey, x509, stack, algorithm, algorithm, 0, macIterations, 0)
                }
            }
        }
        guard let p12 else { throw CertificateError.fromOpenSSL(.generationFailed, "PKCS12_create") }
        defer { PKCS12_free(p12) }
        if compatibility == .legacy {
            guard PKCS12_set_mac(p12, password, -1, nil, 0, PKCS12_DEFAULT_ITER, EVP_sha1()) == 1 else {
                throw CertificateError.fromOpenSSL(.generationFailed, "PKCS12_set_mac")
            }
        }
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PKCS12(p12, &der)
        guard length > 0, let der else { throw CertificateError.fromOpenSSL(.generationFailed, "i2d_PKCS12") }
        defer { CRYPTO_free(der, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }
}

/// Which algorithms a written PKCS#12 file uses: what the programs that import it accept.
public enum PKCS12Compatibility: String, Sendable, CaseIterable {
    /// AES-256-CBC, PBKDF2 and an HMAC-SHA256 MAC (OpenSSL 3's defaults): current Windows, macOS and OpenSSL.
    case modern
    /// 3DES (`pbeWithSHA1And3-KeyTripleDES-CBC`) and an HMAC-SHA1 MAC: also older Windows and keychain imports.
    /// Weaker: use it only for a program that refuses the modern file.
    case legacy
}
