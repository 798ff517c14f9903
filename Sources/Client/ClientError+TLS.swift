import COpenSSL
import GatehouseCertificates
import GatehouseTransport

extension ClientError {
    /// Explains a TLS failure in one sentence, from the error's code and OpenSSL's reason and verification codes.
    ///
    /// On TLS 1.3 a server refuses a client certificate after the client has finished its handshake, so the alert
    /// arrives with the first read: it is mapped the same way whether it came during or after the handshake.
    /// - Parameter host: the host the server's certificate was checked against, named in an untrusted-certificate
    ///   sentence.
    static func tls(_ error: TLSError, host: String? = nil) -> ClientError {
        let detail = error.detail
        if let failure = error.failure {
            if let alert = failure.receivedAlert {
                if alert.refusesCertificate {
                    return ClientError(
                        .certificateRefused,
                        "the server refused the client certificate: TLS alert \(alert)",
                        detail: detail
                    )
                }
                return ClientError(.tlsHandshakeFailed, "the TLS handshake failed: TLS alert \(alert)", detail: detail)
            }
            if failure.isPeerVerificationFailure {
                return Self.untrustedServer(failure.verifyResult, host: host, detail: detail)
            }
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
        let reason = error.failure?.reasonText ?? detail
        if error.code == .protocolError {
            return ClientError(.protocolError, "the TLS connection failed: \(reason)", detail: detail)
        }
        return ClientError(.tlsHandshakeFailed, "the TLS handshake failed: \(reason)", detail: detail)
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

    /// Our verification of the server's certificate failed: its name (`X509_V_ERR_HOSTNAME_MISMATCH`,
    /// `X509_V_ERR_IP_ADDRESS_MISMATCH`) or its chain (any other `X509_V_ERR_*`, named in OpenSSL's words).
    private static func untrustedServer(
        _ result: CertificateVerifyResult?,
        host: String?,
        detail: String
    ) -> ClientError {
        if let host, let code = result?.code,
            code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH
        {
            let kind = isIPAddressLiteral(host) ? "IP" : "DNS"
            return ClientError(
                .serverCertificateUntrusted,
                "the server's certificate is not for \(host): it has no \(kind) SAN \(host)",
                detail: detail
            )
        }
        let why = result.map { " (\($0))" } ?? ""
        return ClientError(
            .serverCertificateUntrusted,
            "the server's certificate is not trusted: it does not verify against the trusted CAs\(why)",
            detail: detail
        )
    }
}
