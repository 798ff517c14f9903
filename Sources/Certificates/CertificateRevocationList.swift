import COpenSSL
public import Foundation

/// An X.509 v2 certificate revocation list, signed by a CA; immutable.
///
/// Wraps OpenSSL's `X509_CRL`. ``sign(revoked:crlNumber:thisUpdate:nextUpdate:by:)`` makes one with the
/// crlNumber and authorityKeyIdentifier extensions that `openssl crl -verify` and `openssl verify -crl_check`
/// expect.
///
/// ```swift
/// let crl = try CertificateRevocationList.sign(
///     revoked: [.init(serialNumber: "1A2B", revokedAt: now)], crlNumber: 1,
///     thisUpdate: now, nextUpdate: now.addingTimeInterval(30 * 86_400), by: ca)
/// try Data(crl.pemString.utf8).write(to: URL(fileURLWithPath: "crl.pem"))
/// ```
// @unchecked: the X509_CRL is never mutated after init; OpenSSL 3's read accessors are thread-safe.
public final class CertificateRevocationList: @unchecked Sendable {
    /// One revoked certificate.
    public struct RevokedCertificate: Sendable, Hashable {
        /// The serial number as uppercase hex.
        public var serialNumber: String
        /// When it was revoked.
        public var revokedAt: Date

        /// Creates an entry; `serialNumber` is hex (case, colons and leading zeros ignored).
        public init(serialNumber: String, revokedAt: Date) {
            self.serialNumber = CertificateIndex.normalizedSerial(serialNumber)
            self.revokedAt = revokedAt
        }
    }

    private let crl: OpaquePointer  // X509_CRL*, owned

    private init(takingOwnership crl: OpaquePointer) { self.crl = crl }

    deinit { X509_CRL_free(self.crl) }

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

    /// Parses a CRL from PEM (`-----BEGIN X509 CRL-----`) or DER bytes.
    /// - Parameter source: names the data in errors, e.g. the file path.
    /// - Throws: ``CertificateError/Code/invalidPEM`` or ``CertificateError/Code/invalidDER``.
    public convenience init(bytes: [UInt8], source: String = "CRL") throws {
        OpenSSLErrorQueue.clear()
        if bytes.first == 0x30 {
            let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509_CRL(nil, &cursor, buffer.count)
            }
            guard let parsed else { throw CertificateError.fromOpenSSL(.invalidDER, source) }
            self.init(takingOwnership: parsed)
            return
        }
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509_CRL(bio, nil, nil, nil)
        }
        guard let parsed else { throw CertificateError.fromOpenSSL(.invalidPEM, source) }
        self.init(takingOwnership: parsed)
    }

    /// Reads a PEM or DER CRL file.
    /// - Throws: ``CertificateError`` naming the file.
    public convenience init(file path: String) throws {
        try self.init(bytes: try readFileBytes(path), source: path)
    }

    /// The CRL as PEM text with a trailing newline.
    public var pemString: String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard PEM_write_bio_X509_CRL(bio, self.crl) == 1 else { return "" }
        return readAll(bio)
    }

    /// The issuer as an RFC 4514 string.
    public var issuer: String { distinguishedNameString(X509_CRL_get_issuer(self.crl)) }

    /// The crlNumber extension; `nil` when absent.
    public var crlNumber: Int? {
        guard let raw = X509_CRL_get_ext_d2i(self.crl, NID_crl_number, nil, nil) else { return nil }
        let number = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(number) }
        let value = ASN1_INTEGER_get(number)
        return value >= 0 ? value : nil
    }

    /// thisUpdate.
    public var thisUpdate: Date { dateFrom(X509_CRL_get0_lastUpdate(self.crl)) }

    /// nextUpdate; distant past when absent.
    public var nextUpdate: Date { dateFrom(X509_CRL_get0_nextUpdate(self.crl)) }

    /// The revoked certificates, in CRL order.
    public var revokedCertificates: [RevokedCertificate] {
        guard let stack = X509_CRL_get_REVOKED(self.crl) else { return [] }
        return (0..<gatehouse_sk_X509_REVOKED_num(stack)).compactMap { index in
            guard let entry = gatehouse_sk_X509_REVOKED_value(stack, index) else { return nil }
            let serial = serialHex(X509_REVOKED_get0_serialNumber(entry))
            return RevokedCertificate(
                serialNumber: serial,
                revokedAt: dateFrom(X509_REVOKED_get0_revocationDate(entry))
            )
        }
    }

    /// Whether the CRL's signature verifies with `certificate`'s public key.
    public func isSigned(by certificate: Certificate) -> Bool {
        certificate.withUnsafeX509 { x509 in
            guard let key = X509_get0_pubkey(x509) else { return false }
            defer { OpenSSLErrorQueue.clear() }
            return X509_CRL_verify(self.crl, key) == 1
        }
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

private func serialHex(_ serial: UnsafePointer<ASN1_INTEGER>?) -> String {
    guard let serial, let bignum = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
    defer { BN_free(bignum) }
    guard let hex = BN_bn2hex(bignum) else { return "" }
    defer { CRYPTO_free(hex, #fileID, #line) }
    return String(cString: hex)
}

private func dateFrom(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
    guard let time else { return .distantPast }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}
