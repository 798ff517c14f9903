import Foundation
public import GatehouseCertificates
public import HTTPTypes
import StructuredFieldValues

/// Writes the client's certificate into the header fields of a forwarded request.
public enum ClientCertificateEncoding {
    /// The fields for `chain` (leaf first, as the client presented it) in `format`; none without a certificate.
    /// - Throws: when the structured-field encoder refuses a value (it does not for DER bytes).
    public static func fields(
        for chain: [Certificate],
        format: UpstreamConfiguration.ClientCertificateForwarding
    ) throws -> [HTTPField] {
        guard let leaf = chain.first else { return [] }
        switch format {
        case .none:
            return []
        case .rfc9440:
            var fields = [HTTPField(name: ForwardedCertificateFields.clientCert, value: try self.clientCert(leaf))]
            if chain.count > 1 {
                fields.append(
                    HTTPField(
                        name: ForwardedCertificateFields.clientCertChain,
                        value: try self.clientCertChain(Array(chain.dropFirst()))
                    )
                )
            }
            return fields
        case .xfcc:
            return [HTTPField(name: ForwardedCertificateFields.xForwardedClientCert, value: self.xfcc(leaf))]
        }
    }

    /// RFC 9440 §2.2: an sf-binary item with the leaf's DER.
    public static func clientCert(_ certificate: Certificate) throws -> String {
        let bytes = try StructuredFieldValueEncoder().encode(BinaryItem(item: Data(certificate.derBytes)))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 9440 §2.3: an sf-list of sf-binary items, each certifying the one before (the leaf is not in it).
    public static func clientCertChain(_ certificates: [Certificate]) throws -> String {
        let bytes = try StructuredFieldValueEncoder().encode(BinaryList(items: certificates.map { Data($0.derBytes) }))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Envoy's element for the leaf: `Hash=<sha256 hex>;Cert="<url-encoded PEM>";Subject="…";URI=…;DNS=…`.
    ///
    /// As Envoy writes it: `Subject` always quoted, other values quoted when they hold `,`, `;` or `=`, a `"` or `\`
    /// inside quotes escaped with `\`; one `URI` and one `DNS` pair per SAN of the kind.
    public static func xfcc(_ certificate: Certificate) -> String {
        var pairs = [
            "Hash=" + certificate.sha256.hexString.lowercased(),  // Envoy writes the hash in lowercase
            "Cert=" + quoted(urlEncoded(certificate.pemString)),
            "Subject=" + quoted(certificate.subject),
        ]
        for name in certificate.subjectAlternativeNames {
            switch name {
            case .uri(let uri): pairs.append("URI=" + quotedIfNeeded(uri))
            case .dnsName(let dns): pairs.append("DNS=" + quotedIfNeeded(dns))
            case .ipAddress, .email: break
            }
        }
        return pairs.joined(separator: ";")
    }

    private static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        value.contains(where: { ",;=\"".contains($0) }) ? quoted(value) : value
    }

    /// Percent-encodes all but RFC 3986's unreserved characters, as Envoy encodes the PEM.
    private static func urlEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// A top-level sf-binary item.
private struct BinaryItem: StructuredFieldValue {
    static let structuredFieldType = StructuredFieldType.item
    var item: Data
    var parameters: [String: Bool] = [:]
}

/// A top-level sf-list of sf-binary items.
private struct BinaryList: StructuredFieldValue {
    static let structuredFieldType = StructuredFieldType.list
    var items: [Data]
}
