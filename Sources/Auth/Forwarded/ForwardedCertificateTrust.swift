/// A listener's `trustForwardedClientCertificate`: which header a TLS-terminating proxy forwards the client's
/// certificate in, and the policy the proxy's own certificate must pass for the header to be believed.
///
/// ```yaml
/// trustForwardedClientCertificate: { header: rfc9440, fromPolicy: edge-proxies }
/// ```
public struct ForwardedCertificateTrust: Sendable, Hashable {
    /// The header format the proxy sends.
    public var header: ForwardedCertificateHeader
    /// The name of the policy a connection's own certificate must pass to be a trusted proxy.
    public var fromPolicy: String
    /// The key path in the configuration file, for errors found later.
    public var keyPath: String

    /// Trusts `header` from connections whose certificate passes `fromPolicy`; `keyPath` locates it in errors.
    public init(
        header: ForwardedCertificateHeader,
        fromPolicy: String,
        keyPath: String = "trustForwardedClientCertificate"
    ) {
        self.header = header
        self.fromPolicy = fromPolicy
        self.keyPath = keyPath
    }
}
