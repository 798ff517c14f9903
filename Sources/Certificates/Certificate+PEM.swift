import COpenSSL

extension Certificate {
    /// Parses every certificate in PEM text, in order.
    ///
    /// Text around the `BEGIN CERTIFICATE` blocks is ignored (as OpenSSL ignores it).
    /// - Parameter source: names the data in errors, e.g. the file path.
    /// - Throws: ``CertificateError/Code/invalidPEM`` for a damaged block,
    ///   ``CertificateError/Code/noCertificate`` when there is none.
    public static func parsePEM(_ bytes: [UInt8], source: String = "certificate PEM") throws -> [Certificate] {
        OpenSSLErrorQueue.clear()
        return try bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw CertificateError.fromOpenSSL(.openSSL, "BIO_new_mem_buf")
            }
            defer { BIO_free(bio) }
            var certificates: [Certificate] = []
            while let x509 = PEM_read_bio_X509(bio, nil, pemPasswordCallback, nil) {  // never prompts
                certificates.append(Certificate(takingOwnership: x509))
            }
            let last = ERR_peek_last_error()
            // PEM_R_NO_START_LINE after the last block just means "no more certificates".
            if last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
                throw CertificateError.fromOpenSSL(.invalidPEM, source)
            }
            OpenSSLErrorQueue.clear()
            guard !certificates.isEmpty else {
                throw CertificateError(.noCertificate, "\(source): no certificate found")
            }
            return certificates
        }
    }

    /// Reads a file holding one or more PEM certificates (leaf first for a chain file), or a single DER
    /// certificate.
    /// - Throws: ``CertificateError`` naming the file.
    public static func loadChain(pemFile path: String) throws -> [Certificate] {
        let bytes = try readFileBytes(path)
        if bytes.first == 0x30 {  // an ASN.1 SEQUENCE: DER
            do {
                return [try Certificate(derBytes: bytes)]
            } catch let error as CertificateError {
                throw CertificateError(error.code, "\(path): \(error.detail)")
            }
        }
        return try parsePEM(bytes, source: path)
    }

    /// The certificate as PEM text (`-----BEGIN CERTIFICATE-----`), with a trailing newline.
    public var pemString: String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        let written = self.withUnsafeX509 { PEM_write_bio_X509(bio, $0) }
        guard written == 1 else { return "" }
        return readAll(bio)
    }
}

extension Array where Element == Certificate {
    /// The certificates as concatenated PEM blocks, in order.
    public var pemString: String { self.map(\.pemString).joined() }
}
