import Foundation
import GatehouseCertificates
import HTTPTypes
import StructuredFieldValues

/// Reads RFC 9440's `Client-Cert` (an sf-binary item: the leaf's DER) and `Client-Cert-Chain` (an sf-list of
/// sf-binary items: the CA certificates' DER, nearest the leaf first) with apple/swift-http-structured-headers.
enum RFC9440Fields {
    /// The forwarded chain, leaf first; empty when neither field is present.
    /// - Throws: ``ForwardedCertificateError`` for a field that is not the structured value RFC 9440 defines, a byte
    ///   sequence that is not one DER certificate, `Client-Cert-Chain` without `Client-Cert`, or a chain over
    ///   `limits`.
    static func chain(in fields: HTTPFields, limits: ForwardedChainLimits) throws(ForwardedCertificateError)
        -> [Certificate]
    {
        let leafField = fields[ForwardedCertificateHeader.clientCert]
        let chainField = fields[ForwardedCertificateHeader.clientCertChain]
        guard let leafField else {
            if chainField != nil { throw ForwardedCertificateError("Client-Cert-Chain without Client-Cert") }
            return []
        }
        let leafDER: [UInt8]
        do {
            leafDER = [UInt8](
                try StructuredFieldValueDecoder().decode(ClientCert.self, from: Array(leafField.utf8)).item
            )
        } catch {
            // Two `Client-Cert` lines are joined with a comma, which an item cannot hold: refused here too.
            throw ForwardedCertificateError("Client-Cert: not one sf-binary item (RFC 9440 §2.2)")
        }
        var intermediateDER: [[UInt8]] = []
        if let chainField {
            do {
                let list = try StructuredFieldValueDecoder().decode(ClientCertChain.self, from: Array(chainField.utf8))
                intermediateDER = list.items.map { [UInt8]($0) }
            } catch {
                throw ForwardedCertificateError("Client-Cert-Chain: not an sf-list of sf-binary items (RFC 9440 §2.3)")
            }
        }
        let count = 1 + intermediateDER.count
        try limits.check(
            count: count,
            bytes: intermediateDER.reduce(leafDER.count) { $0 + $1.count },
            field: "Client-Cert"
        )
        var chain = [try Self.certificate(leafDER, field: "Client-Cert")]
        for (index, der) in intermediateDER.enumerated() {
            chain.append(try Self.certificate(der, field: "Client-Cert-Chain[\(index)]"))
        }
        return chain
    }

    /// One DER certificate, with nothing after it.
    private static func certificate(_ der: [UInt8], field: String) throws(ForwardedCertificateError) -> Certificate {
        guard let certificate = try? Certificate(derBytes: der), certificate.derBytes.count == der.count else {
            throw ForwardedCertificateError("\(field): not a DER-encoded X.509 certificate")
        }
        return certificate
    }
}

/// `Client-Cert`: one byte sequence; parameters, which RFC 9440 does not define, are ignored.
private struct ClientCert: StructuredFieldValue {
    static let structuredFieldType = StructuredFieldType.item
    let item: Data
}

/// `Client-Cert-Chain`: a list of byte sequences.
private struct ClientCertChain: StructuredFieldValue {
    static let structuredFieldType = StructuredFieldType.list
    let items: [Data]
}
