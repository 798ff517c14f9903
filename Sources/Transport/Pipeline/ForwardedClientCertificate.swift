public import GatehouseCertificates

/// The client certificate a trusted TLS-terminating proxy forwarded with one request, in place of the connection's
/// own: the proxy's connection carries many clients' requests, so this is per request, never per connection.
///
/// Set in ``RequestContext/forwardedClientCertificate`` by the listener's forwarded-certificate middleware (Auth)
/// only on a connection whose own certificate passed the listener's proxy policy; client-certificate policies then
/// evaluate ``chain`` instead of the connection's chain.
public struct ForwardedClientCertificate: Sendable {
    /// The client's chain as the proxy forwarded it, leaf first; empty when the proxy forwarded none (the request
    /// then has no client certificate: the proxy's own never stands in for it).
    public let chain: [Certificate]
    /// The proxy's own leaf certificate, which passed the listener's proxy policy.
    public let proxy: Certificate
    /// The header format it came in: `rfc9440` (`Client-Cert`, `Client-Cert-Chain`) or `xfcc`
    /// (`X-Forwarded-Client-Cert`).
    public let header: String

    /// Records `chain`, forwarded by `proxy` in `header`.
    public init(chain: [Certificate], proxy: Certificate, header: String) {
        self.chain = chain
        self.proxy = proxy
        self.header = header
    }

    /// The forwarded leaf, if the proxy forwarded one.
    public var leaf: Certificate? { self.chain.first }
}
