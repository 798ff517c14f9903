import GatehouseCertificates
import GatehouseTransport
import NIOCore
import Testing

@testable import GatehouseClient

@Suite("URLs and TLS failure sentences")
struct ClientUnitTests {
    @Test func urlsSplitIntoAuthorityAndPath() throws {
        let hello = try ClientURL("https://127.0.0.1:8443/api/hello?name=x")
        #expect(hello.authority == "127.0.0.1:8443" && hello.path == "/api/hello?name=x")
        let bare = try ClientURL("https://localhost")
        #expect(bare.authority == "localhost" && bare.path == "/")
        let ipv6 = try ClientURL("https://[::1]:9?a=b#fragment")
        #expect(ipv6.authority == "[::1]:9" && ipv6.path == "/?a=b")
        #expect(ClientURL.origin(authority: "[::1]:9") == ClientConnection.Origin(host: "::1", port: 9))
        #expect(ClientURL.origin(authority: "example.com") == ClientConnection.Origin(host: "example.com", port: 443))
        #expect(try ClientURL("http://localhost/").scheme == "http")
        #expect(ClientURL.origin(authority: "localhost", isSecure: false)?.port == 80)
        #expect(throws: ClientError.self) { try ClientURL("ftp://localhost/") }
        #expect(throws: ClientError.self) { try ClientURL("https://localhost:99999/") }
        #expect(throws: ClientError.self) { try ClientURL("https:///path") }
    }

    @Test func alertsBecomeSentences() {
        // tlsv13 alert certificate required
        let required = ClientError.tls(TLSError(.peerCertificateRequired, failure(0x0A00_045C)))
        #expect(required.code == .certificateRefused)
        #expect(required.message == "the server refused the client certificate: TLS alert certificate required")
        let unknownCA = ClientError.tls(TLSError(.handshakeFailed, failure(0x0A00_0418)))  // tlsv1 alert unknown ca
        #expect(unknownCA.message == "the server refused the client certificate: TLS alert unknown ca")
        let version = ClientError.tls(TLSError(.handshakeFailed, failure(0x0A00_042E)))  // tlsv1 alert protocol version
        #expect(version.code == .tlsHandshakeFailed)
        #expect(version.message == "the TLS handshake failed: TLS alert protocol version")
        let wrongVersion = ClientError.tls(TLSError(.handshakeFailed, failure(0x0A00_010B)))  // wrong version number
        #expect(wrongVersion.message == "the TLS handshake failed: wrong version number")
    }

    @Test func verificationFailuresAreExplainedByTheirX509Code() {
        let untrusted = ClientError.tls(
            // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
            TLSError(.handshakeFailed, failure(0x0A00_0086, verify: 20)),
            host: "127.0.0.1"
        )
        #expect(untrusted.code == .serverCertificateUntrusted)
        #expect(
            untrusted.message == "the server's certificate is not trusted: it does not verify against the trusted "
                + "CAs (unable to get local issuer certificate)"
        )
        let wrongName = ClientError.tls(
            TLSError(.handshakeFailed, failure(0x0A00_0086, verify: 62)),  // X509_V_ERR_HOSTNAME_MISMATCH
            host: "example.com"
        )
        #expect(wrongName.message == "the server's certificate is not for example.com: it has no DNS SAN example.com")
    }

    @Test func connectFailuresSayWhatToCheck() {
        let timeout = ClientError.connectFailure(ChannelError.connectTimeout(.seconds(2)), timeout: .seconds(2))
        #expect(timeout.code == .timeout)
        #expect(timeout.message.hasPrefix("nothing answered within 2"), "\(timeout.message)")
        #expect(timeout.message.hasSuffix("; check the host and port, and that no firewall drops the connection"))
        #expect(timeout.sent(to: "192.0.2.1:8443").description.hasPrefix("192.0.2.1:8443: nothing answered"))
    }

    /// A failure as OpenSSL reports it: one packed error code and, for a verification failure, the X509_V_ERR code.
    private func failure(_ packedCode: UInt, verify: Int32? = nil) -> TLSFailure {
        TLSFailure(
            entries: [OpenSSLErrorEntry(packedCode: packedCode)],
            verifyResult: verify.map(CertificateVerifyResult.init(code:)),
            sslError: 1  // SSL_ERROR_SSL
        )
    }
}
