import Testing
import GatehouseTransport

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
        #expect(throws: ClientError.self) { try ClientURL("http://localhost/") }
        #expect(throws: ClientError.self) { try ClientURL("https://localhost:99999/") }
        #expect(throws: ClientError.self) { try ClientURL("https:///path") }
    }

    @Test func alertsBecomeSentences() {
        let required = ClientError.tls(
            TLSError(.peerCertificateRequired, "error:0A00045C:SSL routines::tlsv13 alert certificate required")
        )
        #expect(required.code == .certificateRefused)
        #expect(required.message == "the server refused the client certificate: TLS alert certificate required")
        let unknownCA = ClientError.tls(
            TLSError(.handshakeFailed, "error:0A000418:SSL routines::tlsv1 alert unknown ca")
        )
        #expect(unknownCA.message == "the server refused the client certificate: TLS alert unknown ca")
        let version = ClientError.tls(
            TLSError(.handshakeFailed, "error:0A00042E:SSL routines::tlsv1 alert protocol version")
        )
        #expect(version.code == .tlsHandshakeFailed)
        let untrusted = ClientError.tls(
            TLSError(.handshakeFailed, "error:0A000086:SSL routines::certificate verify failed")
        )
        #expect(untrusted.code == .serverCertificateUntrusted)
    }
}
