import COpenSSL

/// An OCSP request (RFC 6960) for one certificate, and the verification of the responder's answer to it.
///
/// The CertID is built from the leaf and its issuer (SHA-1 name and key hashes, as responders expect). No nonce:
/// answers are cached until their nextUpdate, so a nonce would only defeat responders' pre-signed answers.
///
/// ```swift
/// let request = try OCSPRequest(leaf: leaf, issuer: issuingCA)
/// // POST request.derBytes as application/ocsp-request, then:
/// let answer = try request.verify(response: body, trustStore: store, untrusted: [issuingCA])
/// ```
public struct OCSPRequest: Sendable {
    /// The certificate asked about.
    public let leaf: Certificate
    /// The CA that issued it.
    public let issuer: Certificate
    /// The DER-encoded `OCSPRequest`, the body of the HTTP POST.
    public let derBytes: [UInt8]

    /// Builds the request for `leaf`, issued by `issuer`.
    /// - Throws: ``CertificateError/Code/openSSL`` when OpenSSL cannot build it.
    public init(leaf: Certificate, issuer: Certificate) throws {
        self.leaf = leaf
        self.issuer = issuer
        OpenSSLErrorQueue.clear()
        guard let request = OCSP_REQUEST_new() else {
            throw CertificateError.fromOpenSSL(.openSSL, "OCSP_REQUEST_new")
        }
        defer { OCSP_REQUEST_free(request) }
        guard let id = Self.certificateID(leaf: leaf, issuer: issuer) else {
            throw CertificateError.fromOpenSSL(.openSSL, "OCSP_cert_to_id")
        }
        // add0: the request owns the id from here on.
        guard OCSP_request_add0_id(request, id) != nil else {
            OCSP_CERTID_free(id)
            throw CertificateError.fromOpenSSL(.openSSL, "OCSP_request_add0_id")
        }
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_OCSP_REQUEST(request, &der)
        guard length > 0, let der else { throw CertificateError.fromOpenSSL(.openSSL, "i2d_OCSP_REQUEST") }
        defer { CRYPTO_free(der, #fileID, #line) }
        self.derBytes = Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }

    /// A new `OCSP_CERTID` for the pair (the caller frees it), or `nil`.
    static func certificateID(leaf: Certificate, issuer: Certificate) -> OpaquePointer? {
        leaf.withUnsafeX509 { leaf in
            issuer.withUnsafeX509 { issuer in OCSP_cert_to_id(EVP_sha1(), leaf, issuer) }
        }
    }
}
