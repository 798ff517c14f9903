import GatehouseCertificates
import Foundation
import GatehouseTransport

extension ClientError {
    /// Alerts a server sends when it will not accept the client's certificate (or the lack of one).
    private static let certificateAlerts = [
        "certificate required", "unknown ca", "bad certificate", "certificate expired", "certificate revoked",
        "certificate unknown", "unsupported certificate", "access denied",
    ]

    /// Explains a TLS failure in one sentence, from the error's code and OpenSSL's error text.
    ///
    /// On TLS 1.3 a server refuses a client certificate after the client has finished its handshake, so the alert
    /// arrives with the first read: it is mapped the same way whether it came during or after the handshake.
    /// - Parameter host: the host the server's certificate was checked against, named in an untrusted-certificate
    ///   sentence.
    static func tls(_ error: TLSError, host: String? = nil) -> ClientError {
        let detail = error.detail
        if let alert = Self.alertText(in: detail) {
            if Self.certificateAlerts.contains(alert) {
                return ClientError(
                    .certificateRefused,
                    "the server refused the client certificate: TLS alert \(alert)",
                    detail: detail
                )
            }
            return ClientError(.tlsHandshakeFailed, "the TLS handshake failed: TLS alert \(alert)", detail: detail)
        }
        if detail.contains("certificate verify failed") {
            let named = host.map { isIPAddressLiteral($0) ? "have \($0) as an IP SAN" : "have \($0) as a DNS SAN" }
            return ClientError(
                .serverCertificateUntrusted,
                "the server's certificate is not trusted: it does not verify against the trusted CAs or does not "
                    + (named ?? "name the host"),
                detail: detail
            )
        }
        if error.code == .handshakeTimeout {
            return ClientError(.timeout, "the TLS handshake did not finish in time", detail: detail)
        }
        if error.code == .unexpectedEOF {
            return ClientError(
                .tlsHandshakeFailed,
                "the server closed the connection during the TLS handshake",
                detail: detail
            )
        }
        if error.code == .invalidConfiguration {
            return ClientError(.invalidConfiguration, "the TLS settings cannot be used: \(detail)", detail: detail)
        }
        if error.code == .protocolError {
            return ClientError(.protocolError, "the TLS connection failed: \(Self.reason(in: detail))", detail: detail)
        }
        return ClientError(.tlsHandshakeFailed, "the TLS handshake failed: \(Self.reason(in: detail))", detail: detail)
    }

    /// The server's certificate verified but is not for `host`.
    static func hostMismatch(host: String, certificateNames: String) -> ClientError {
        let kind = isIPAddressLiteral(host) ? "IP" : "DNS"
        return ClientError(
            .serverCertificateUntrusted,
            "the server's certificate is not for \(host): it has no \(kind) SAN \(host) "
                + "(its names: \(certificateNames))"
        )
    }

    /// `certificate required` from `error:0A00045C:SSL routines::tlsv13 alert certificate required`.
    static func alertText(in detail: String) -> String? {
        for entry in detail.split(whereSeparator: { $0 == "\n" || $0 == ";" }) {
            guard let range = entry.range(of: "alert ") else { continue }
            let text = entry[range.upperBound...].prefix { $0 != ":" && $0 != "(" && $0 != "," }
            let trimmed = trimmingSpaces(text)
            if !trimmed.isEmpty { return trimmed }
        }
        return nil
    }

    /// OpenSSL's reason text without the `error:XXXXXXXX:lib::` prefix.
    private static func reason(in detail: String) -> String {
        guard let last = detail.split(whereSeparator: { $0 == "\n" || $0 == ";" }).first else { return "unknown error" }
        return trimmingSpaces(last.split(separator: ":", omittingEmptySubsequences: true).last ?? last)
    }
}

private func trimmingSpaces(_ text: Substring) -> String {
    String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
}
