import COpenSSL

/// OpenSSL's verdict on a certificate chain (`X509_V_OK` or an `X509_V_ERR_*` code).
public struct CertificateVerifyResult: Sendable, Hashable, CustomStringConvertible {
    /// The raw `X509_V_*` code.
    public let code: Int32

    /// Wraps an `X509_V_*` code.
    public init(code: Int32) { self.code = code }

    /// The chain verified.
    public static let ok = CertificateVerifyResult(code: X509_V_OK)

    /// Whether the chain verified.
    public var isOK: Bool { self.code == X509_V_OK }
    /// The certificate's notAfter is in the past.
    public var isExpired: Bool { self.code == X509_V_ERR_CERT_HAS_EXPIRED }
    /// The certificate's notBefore is in the future.
    public var isNotYetValid: Bool { self.code == X509_V_ERR_CERT_NOT_YET_VALID }
    /// A CRL says the certificate is revoked.
    public var isRevoked: Bool { self.code == X509_V_ERR_CERT_REVOKED }

    /// OpenSSL's text for the code, e.g. `unable to get local issuer certificate`.
    public var description: String {
        guard let text = X509_verify_cert_error_string(Int(self.code)) else { return "verify error \(self.code)" }
        return String(cString: text)
    }
}
