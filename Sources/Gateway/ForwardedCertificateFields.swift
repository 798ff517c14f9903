public import HTTPTypes

/// The header fields that carry a client certificate past a TLS-terminating proxy, named once for the gateway
/// that writes them and the listener that believes them.
public enum ForwardedCertificateFields {
    /// RFC 9440 `Client-Cert`: the client's leaf certificate, `:<base64 DER>:`.
    public static let clientCert = HTTPField.Name("Client-Cert")!
    /// RFC 9440 `Client-Cert-Chain`: the certificates after the leaf, `:<DER>:, :<DER>:`.
    public static let clientCertChain = HTTPField.Name("Client-Cert-Chain")!
    /// Envoy's `X-Forwarded-Client-Cert`.
    public static let xForwardedClientCert = HTTPField.Name("X-Forwarded-Client-Cert")!

    /// All three: the gateway removes every one of them that a client sent, whatever it forwards itself.
    public static let all: [HTTPField.Name] = [clientCert, clientCertChain, xForwardedClientCert]
}
