public import HTTPTypes

/// The header a TLS-terminating proxy forwards the client's certificate in.
public enum ForwardedCertificateHeader: String, Sendable, Hashable, CaseIterable, Codable {
    /// RFC 9440: `Client-Cert` (the leaf, an sf-binary of its DER) and `Client-Cert-Chain` (an sf-list of the
    /// intermediates' DER).
    case rfc9440
    /// Envoy's `X-Forwarded-Client-Cert`: the last element's `Cert` (URL-encoded PEM of the leaf) and `Chain`
    /// (URL-encoded PEM of the chain).
    case xfcc

    /// `Client-Cert` (RFC 9440).
    public static let clientCert = HTTPField.Name("Client-Cert")!
    /// `Client-Cert-Chain` (RFC 9440).
    public static let clientCertChain = HTTPField.Name("Client-Cert-Chain")!
    /// `X-Forwarded-Client-Cert` (Envoy).
    public static let xForwardedClientCert = HTTPField.Name("X-Forwarded-Client-Cert")!

    /// Every header either format uses: removed from every request before routing (a trusted proxy's after they
    /// were read).
    public static let allFieldNames = [clientCert, clientCertChain, xForwardedClientCert]
}

extension HTTPFields {
    /// Whether any forwarded-certificate header (``ForwardedCertificateHeader/allFieldNames``) is present.
    var hasForwardedCertificateHeaders: Bool {
        ForwardedCertificateHeader.allFieldNames.contains { self.contains($0) }
    }

    /// Removes every forwarded-certificate header.
    mutating func removeForwardedCertificateHeaders() {
        for name in ForwardedCertificateHeader.allFieldNames { self[name] = nil }
    }
}
