/// How large a forwarded client certificate chain may be; a larger one is refused with 400.
///
/// The header itself is already bounded by the listener's `maxHeaderListSize`.
public struct ForwardedChainLimits: Sendable, Hashable {
    /// The most certificates, leaf included: 8 (a leaf and up to seven CA certificates).
    public var maxCertificates: Int
    /// The most DER bytes of all certificates together; the listener's `maxClientCertificateChainSize` (64 KiB by
    /// default), as for a chain presented in the handshake.
    public var maxBytes: Int

    /// The default count: 8 certificates.
    public static let defaultMaxCertificates = 8

    /// Limits of `maxCertificates` certificates and `maxBytes` DER bytes.
    public init(maxCertificates: Int = Self.defaultMaxCertificates, maxBytes: Int = 64 << 10) {
        self.maxCertificates = maxCertificates
        self.maxBytes = maxBytes
    }

    /// Checks a chain's certificate count and DER size.
    func check(count: Int, bytes: Int, field: String) throws(ForwardedCertificateError) {
        guard count <= self.maxCertificates else {
            throw ForwardedCertificateError("\(field): \(count) certificates, at most \(self.maxCertificates)")
        }
        guard bytes <= self.maxBytes else {
            throw ForwardedCertificateError("\(field): \(bytes) bytes of certificates, at most \(self.maxBytes)")
        }
    }
}
