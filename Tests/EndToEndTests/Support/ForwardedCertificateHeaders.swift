import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseRouting
import GatehouseTransport
import HTTPTypes

/// What a TLS-terminating proxy sends for a client's chain (leaf first), as RFC 9440 or as Envoy's XFCC.
enum ForwardedCertificateHeaders {
    static func fields(_ header: ForwardedCertificateHeader, chain: [Certificate]) -> HTTPFields {
        var fields = HTTPFields()
        switch header {
        case .rfc9440:
            fields[ForwardedCertificateHeader.clientCert] = self.binary(chain[0])
            if chain.count > 1 {
                fields[ForwardedCertificateHeader.clientCertChain] = chain.dropFirst().map(self.binary)
                    .joined(separator: ", ")
            }
        case .xfcc:
            fields[ForwardedCertificateHeader.xForwardedClientCert] = self.xfccElement(chain)
        }
        return fields
    }

    /// `:base64 DER:`, an sf-binary item.
    static func binary(_ certificate: Certificate) -> String {
        ":" + Data(certificate.derBytes).base64EncodedString() + ":"
    }

    /// One XFCC element as Envoy writes it: `By`, `Hash`, `Cert`, `Chain` (the whole chain, leaf first) and
    /// `Subject`.
    static func xfccElement(_ chain: [Certificate]) -> String {
        let leaf = chain[0]
        return
            "By=spiffe://proxy.test/edge;Hash=\(leaf.sha256.hexString.lowercased());Cert=\"\(self.urlEncoded(leaf.pemString))\";"
            + "Chain=\"\(self.urlEncoded(chain.pemString))\";Subject=\"\(leaf.subject)\""
    }

    static func urlEncoded(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

/// `GET /headers`: answers the forwarded-certificate header names the function received, one per line.
struct ForwardedHeaderProbe: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let names = ForwardedCertificateHeader.allFieldNames.filter { request.head.headerFields.contains($0) }
        return .text(names.map(\.canonicalName).joined(separator: "\n"))
    }
}
