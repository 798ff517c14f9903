import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport

/// The `x5t#S256` confirmation of RFC 8705 §3.1: the base64url SHA-256 thumbprint, without padding, of a
/// certificate's DER.
enum CertificateBinding {
    /// `x5t#S256` of `certificate`.
    static func thumbprint(of certificate: Certificate) -> String {
        base64URL(certificate.sha256)
    }

    /// The thumbprint of the caller's client certificate: the one a policy on the route verified when there is one
    /// (so a certificate the policy took from a trusted proxy counts), else the connection's own; `nil` without one.
    static func clientThumbprint(_ context: RequestContext) -> String? {
        if let identity = context.identity(as: ClientCertificateIdentity.self) {
            return self.thumbprint(of: identity.certificate)
        }
        return context.connection.tls.peerCertificate.map(self.thumbprint(of:))
    }

    /// `bytes` in base64url (RFC 4648 §5) without `=` padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
