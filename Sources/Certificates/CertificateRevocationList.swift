import COpenSSL
public import Foundation

// @unchecked: the X509_CRL is never mutated after init; OpenSSL 3's read accessors are thread-safe.
/// An X.509 v2 certificate revocation list, signed by a CA; immutable.
///
/// Wraps OpenSSL's `X509_CRL`. ``parse(_:source:)`` and ``load(file:)`` read them;
/// ``sign(revoked:crlNumber:thisUpdate:nextUpdate:by:)`` makes one with the
/// crlNumber and authorityKeyIdentifier extensions that `openssl crl -verify` and `openssl verify -crl_check`
/// expect.
///
/// ```swift
/// let crl = try CertificateRevocationList.sign(
///     revoked: [.init(serialNumber: "1A2B", revokedAt: now)], crlNumber: 1,
///     thisUpdate: now, nextUpdate: now.addingTimeInterval(30 * 86_400), by: ca)
/// try Data(crl.pemString.utf8).write(to: URL(fileURLWithPath: "crl.pem"))
/// ```
public final class CertificateRevocationList: @unchecked Sendable, CustomStringConvertible {
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

    /// Takes ownership of `crl`.
    package init(takingOwnership crl: OpaquePointer) { self.crl = crl }

    deinit { X509_CRL_free(self.crl) }

    /// Lends the `X509_CRL*` to `body`; the pointer must not escape it.
    package func withUnsafeCRL<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.crl)
    }

    /// Parses every CRL in `bytes`: PEM blocks (`BEGIN X509 CRL`), or one DER CRL.
    /// - Parameter source: names the data in errors, e.g. the file path.
    /// - Throws: ``CertificateError/Code/invalidPEM`` or ``CertificateError/Code/invalidDER`` for damaged data,
    ///   ``CertificateError/Code/noCertificate`` when there is no CRL.
    public static func parse(_ bytes: [UInt8], source: String = "CRL") throws -> [CertificateRevocationList] {
        OpenSSLErrorQueue.clear()
        if bytes.first == 0x30 {  // an ASN.1 SEQUENCE: DER
            let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509_CRL(nil, &cursor, buffer.count)
            }
            guard let parsed else { throw CertificateError.fromOpenSSL(.invalidDER, "\(source): not a DER CRL") }
            return [CertificateRevocationList(takingOwnership: parsed)]
        }
        return try bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw CertificateError.fromOpenSSL(.openSSL, "BIO_new_mem_buf")
            }
            defer { BIO_free(bio) }
            var lists: [CertificateRevocationList] = []
            while let crl = PEM_read_bio_X509_CRL(bio, nil, pemPasswordCallback, nil) {  // never prompts
                lists.append(CertificateRevocationList(takingOwnership: crl))
            }
            let last = ERR_peek_last_error()
            // PEM_R_NO_START_LINE after the last block just means "no more CRLs".
            if last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
                throw CertificateError.fromOpenSSL(.invalidPEM, source)
            }
            OpenSSLErrorQueue.clear()
            guard !lists.isEmpty else { throw CertificateError(.noCertificate, "\(source): no CRL found") }
            return lists
        }
    }

    /// Reads a PEM file with one or more CRLs, or a DER file with one.
    /// - Throws: ``CertificateError`` naming the file.
    public static func load(file path: String) throws -> [CertificateRevocationList] {
        try parse(try readFileBytes(path), source: path)
    }

    /// The issuer's name, RFC 4514.
    public var issuer: String { distinguishedNameString(X509_CRL_get_issuer(self.crl)) }

    /// The issuer's name, for structural comparison.
    public var issuerName: DistinguishedName { DistinguishedName(x509Name: X509_CRL_get_issuer(self.crl)) }

    /// When the CRL was issued (thisUpdate).
    public var thisUpdate: Date { asn1Date(X509_CRL_get0_lastUpdate(self.crl)) }

    /// When the next CRL is due; `nil` when the CRL does not say.
    public var nextUpdate: Date? { X509_CRL_get0_nextUpdate(self.crl).map { asn1Date($0) } }

    /// Whether this CRL is `certificate`'s issuer's and lists its serial number.
    ///
    /// Compares the issuer name and serial only; it does not check the CRL's signature (use a chain
    /// verification with revocation for that).
    public func lists(_ certificate: Certificate) -> Bool {
        certificate.withUnsafeX509 { x509 in
            guard X509_NAME_cmp(X509_CRL_get_issuer(self.crl), X509_get_issuer_name(x509)) == 0 else { return false }
            var entry: OpaquePointer? = nil
            return X509_CRL_get0_by_cert(self.crl, &entry, x509) == 1
        }
    }

    /// The CRL as PEM text (`-----BEGIN X509 CRL-----`).
    public var pemString: String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard PEM_write_bio_X509_CRL(bio, self.crl) == 1 else { return "" }
        return readAll(bio)
    }

    /// The crlNumber extension; `nil` when absent.
    public var crlNumber: Int? {
        guard let raw = X509_CRL_get_ext_d2i(self.crl, NID_crl_number, nil, nil) else { return nil }
        let number = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(number) }
        let value = ASN1_INTEGER_get(number)
        return value >= 0 ? value : nil
    }

    /// The revoked certificates, in CRL order.
    public var revokedCertificates: [RevokedCertificate] {
        guard let stack = X509_CRL_get_REVOKED(self.crl) else { return [] }
        return (0..<gatehouse_sk_X509_REVOKED_num(stack)).compactMap { index in
            guard let entry = gatehouse_sk_X509_REVOKED_value(stack, index) else { return nil }
            let serial = serialHex(X509_REVOKED_get0_serialNumber(entry))
            return RevokedCertificate(
                serialNumber: serial,
                revokedAt: asn1Date(X509_REVOKED_get0_revocationDate(entry))
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

    /// The type and the issuer's name, for logs: `CertificateRevocationList(<issuer>)`.
    public var description: String { "CertificateRevocationList(\(self.issuer))" }
}

/// Converts an `ASN1_TIME` to a `Date` (distant past when it cannot be read).
private func asn1Date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
    guard let time else { return .distantPast }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}

/// An ASN.1 integer as uppercase hex.
private func serialHex(_ serial: UnsafePointer<ASN1_INTEGER>?) -> String {
    guard let serial, let bignum = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
    defer { BN_free(bignum) }
    guard let hex = BN_bn2hex(bignum) else { return "" }
    defer { CRYPTO_free(hex, #fileID, #line) }
    return String(cString: hex)
}
