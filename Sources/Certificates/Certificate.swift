import COpenSSL
public import Foundation

// @unchecked: the X509 is never mutated after init, and OpenSSL's reference count and read accessors
// are thread-safe in OpenSSL 3.
/// An X.509 certificate, parsed once and immutable.
///
/// Wraps OpenSSL's `X509`. Reading from several threads at once is safe.
public final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
    private let x509: OpaquePointer  // X509*, owned
    /// The DER encoding, as it was read or sent.
    public let derBytes: [UInt8]

    /// Takes ownership of `x509` (one reference); it is freed when this object is.
    package init(takingOwnership x509: OpaquePointer) {
        self.x509 = x509
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(x509, &der)
        if length > 0, let der {
            self.derBytes = Array(UnsafeBufferPointer(start: der, count: Int(length)))
            CRYPTO_free(der, #fileID, #line)
        } else {
            self.derBytes = []
        }
    }

    /// Adds a reference to a borrowed `x509` and wraps it.
    package convenience init(copying x509: OpaquePointer) {
        X509_up_ref(x509)
        self.init(takingOwnership: x509)
    }

    deinit { X509_free(self.x509) }

    /// Parses one DER-encoded certificate.
    /// - Throws: ``CertificateError/Code/invalidDER``.
    public convenience init(derBytes: [UInt8]) throws {
        OpenSSLErrorQueue.clear()
        let parsed: OpaquePointer? = derBytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw CertificateError.fromOpenSSL(.invalidDER, "certificate DER") }
        self.init(takingOwnership: parsed)
    }

    /// Lends the `X509*` to `body`; the pointer must not escape it.
    package func withUnsafeX509<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.x509)
    }

    // MARK: Names and numbers

    /// The subject as an RFC 4514 string, e.g. `CN=client,O=Gatehouse`.
    public var subject: String { distinguishedNameString(X509_get_subject_name(self.x509)) }

    /// The issuer as an RFC 4514 string.
    public var issuer: String { distinguishedNameString(X509_get_issuer_name(self.x509)) }

    /// The subject's first common name, if any.
    public var commonName: String? {
        guard let name = X509_get_subject_name(self.x509) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// The serial number as uppercase hex without separators or leading zeros (`3311…`, never `03311…`): the one
    /// spelling every serial comparison in Gatehouse uses.
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(self.x509), let bignum = ASN1_INTEGER_to_BN(serial, nil) else {
            return ""
        }
        defer { BN_free(bignum) }
        guard let hex = BN_bn2hex(bignum) else { return "" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        let digits = String(cString: hex).drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }

    /// Whether the subject and issuer names are equal (a self-issued certificate).
    public var isSelfIssued: Bool {
        X509_NAME_cmp(X509_get_subject_name(self.x509), X509_get_issuer_name(self.x509)) == 0
    }

    /// Whether basicConstraints marks the certificate as a CA.
    public var isCertificateAuthority: Bool { X509_check_ca(self.x509) != 0 }

    // MARK: Validity

    /// The start of the validity period.
    public var notBefore: Date { asn1TimeToDate(X509_get0_notBefore(self.x509)) }

    /// The end of the validity period.
    public var notAfter: Date { asn1TimeToDate(X509_get0_notAfter(self.x509)) }

    // MARK: Thumbprints

    /// SHA-256 of the DER encoding.
    public var sha256: [UInt8] { Digest.sha256(self.derBytes) }

    /// SHA-1 of the DER encoding, as Windows and Azure show a certificate's thumbprint.
    public var sha1: [UInt8] { Digest.sha1(self.derBytes) }

    /// SHA-256 of the DER-encoded SubjectPublicKeyInfo: the same across renewals with the same key.
    ///
    /// Encodes the certificate's own SubjectPublicKeyInfo structure, not the parsed key: OpenSSL 3.0 re-encodes a
    /// key through its provider encoders, which costs more than the rest of a policy evaluation.
    public var spkiSHA256: [UInt8] {
        guard let key = X509_get_X509_PUBKEY(self.x509) else { return [] }
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509_PUBKEY(key, &der)
        guard length > 0, let der else { return [] }
        defer { CRYPTO_free(der, #fileID, #line) }
        return Digest.sha256(Array(UnsafeBufferPointer(start: der, count: Int(length))))
    }

    // MARK: Hashable

    /// Equal when the DER encodings are byte for byte: the same certificate, wherever it was read from.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.derBytes == rhs.derBytes }
    /// Hashes the DER encoding, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.derBytes) }

    /// The type and the subject, for logs: `Certificate(<subject>)`.
    public var description: String { "Certificate(\(self.subject))" }
}

/// Formats an `X509_NAME` as RFC 4514 text.
package func distinguishedNameString(_ name: OpaquePointer?) -> String {
    guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
    defer { BIO_free(bio) }
    let flags = gatehouse_XN_FLAG_RFC2253_UTF8()
    guard X509_NAME_print_ex(bio, name, 0, flags) >= 0 else { return "" }
    return readAll(bio)
}

/// Reads everything written to a memory BIO as UTF-8 text.
package func readAll(_ bio: OpaquePointer) -> String {
    var data: UnsafeMutablePointer<CChar>? = nil
    let length = gatehouse_BIO_get_mem_data(bio, &data)
    guard length > 0, let data else { return "" }
    return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
        String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
    }
}

/// Converts an `ASN1_TIME` to a `Date` (distant past when it cannot be read).
private func asn1TimeToDate(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
    guard let time else { return .distantPast }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}
