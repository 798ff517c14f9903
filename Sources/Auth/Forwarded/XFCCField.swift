import GatehouseCertificates
import HTTPTypes

/// Reads Envoy's `X-Forwarded-Client-Cert`: comma-separated elements, one per proxy that appended one, each a
/// semicolon-separated list of `Key=value` pairs (keys case-insensitive; a value holding `,`, `;` or `=` is
/// double-quoted, with `\"` for a quote).
///
/// The client's element is the last: each proxy appends the certificate of the peer it received the request from,
/// so the last element is what the proxy connected to Gatehouse — the one its policy trusts — says about its own
/// client. Its `Cert` (the URL-encoded PEM of the leaf) is required; its `Chain` (the URL-encoded PEM of the whole
/// chain, leaf included) supplies the intermediates. `By`, `Hash`, `Subject`, `URI` and `DNS` are not believed:
/// they are facts the certificate itself states, and the policy reads them from it.
enum XFCCField {
    /// The forwarded chain, leaf first; empty when the field is absent.
    /// - Throws: ``ForwardedCertificateError`` for a malformed field, a last element without `Cert`, PEM that does
    ///   not hold the certificates it should, or a chain over `limits`.
    static func chain(in fields: HTTPFields, limits: ForwardedChainLimits) throws(ForwardedCertificateError)
        -> [Certificate]
    {
        guard let text = fields[ForwardedCertificateHeader.xForwardedClientCert] else { return [] }
        let elements = try XFCCSyntax.elements(of: Array(text.utf8))
        guard let last = elements.last else { throw ForwardedCertificateError("X-Forwarded-Client-Cert: empty") }
        guard let cert = last["cert"] else {
            throw ForwardedCertificateError(
                "X-Forwarded-Client-Cert: the last element has no Cert (Envoy: set_current_client_cert_details cert)"
            )
        }
        let leafPEM = try percentDecoded(cert, key: "Cert")
        let chainPEM = try last["chain"].map { value throws(ForwardedCertificateError) in
            try percentDecoded(value, key: "Chain")
        }
        let bytes = leafPEM.count + (chainPEM?.count ?? 0)
        // PEM is a third larger than DER: bound the text before OpenSSL parses it.
        try limits.check(count: 1, bytes: bytes * 3 / 4, field: "X-Forwarded-Client-Cert")
        let leaves = try certificates(leafPEM, key: "Cert")
        guard leaves.count == 1, let leaf = leaves.first else {
            throw ForwardedCertificateError("X-Forwarded-Client-Cert: Cert holds \(leaves.count) certificates, not 1")
        }
        var chain = [leaf]
        if let chainPEM {
            // Envoy's Chain starts with the leaf; a chain without it is taken as the intermediates alone.
            chain += try certificates(chainPEM, key: "Chain").filter { $0 != leaf }
        }
        try limits.check(
            count: chain.count,
            bytes: chain.reduce(0) { $0 + $1.derBytes.count },
            field: "X-Forwarded-Client-Cert"
        )
        return chain
    }

    /// `%XX` escapes decoded; `+` stays `+` (it is a base64 character, not a space, in PEM).
    private static func percentDecoded(_ value: [UInt8], key: String) throws(ForwardedCertificateError) -> [UInt8] {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(value.count)
        var index = 0
        while index < value.count {
            let byte = value[index]
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                index += 1
                continue
            }
            guard index + 2 < value.count, let high = hexValue(value[index + 1]), let low = hexValue(value[index + 2])
            else {
                throw ForwardedCertificateError(
                    "X-Forwarded-Client-Cert: \(key) has a % not followed by two hex digits"
                )
            }
            decoded.append(high << 4 | low)
            index += 3
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func certificates(_ pem: [UInt8], key: String) throws(ForwardedCertificateError) -> [Certificate] {
        do {
            return try Certificate.parsePEM(pem, source: "X-Forwarded-Client-Cert \(key)")
        } catch {
            throw ForwardedCertificateError("X-Forwarded-Client-Cert: \(key) is not URL-encoded PEM certificates")
        }
    }
}
