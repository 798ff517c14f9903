import GatehouseTransport
import TestSupport
import Testing

@Suite("clientCertificate: require refuses at the handshake")
struct RequireModeEndToEndTests {
    @Test(arguments: ["1.2", "1.3"])
    func certificateFromAnotherCAIsRefusedWithAnAlert(tls: String) async throws {
        try await withTestServer(mode: .require) { server in
            let result = try await server.curl(as: server.pki.strangerClient).run(
                server.url("/healthz"),
                tlsArguments(tls)
            )
            #expect(result.status == 0, "no HTTP response at all")
            #expect(result.exitCode != 0)
            #expect(result.stderr.contains("alert"), "\(result.stderr)")
        }
    }

    @Test(arguments: ["1.2", "1.3"])
    func missingCertificateIsRefusedWithAnAlert(tls: String) async throws {
        try await withTestServer(mode: .require) { server in
            let result = try await server.curl(as: nil).run(server.url("/healthz"), tlsArguments(tls))
            #expect(result.status == 0)
            #expect(result.stderr.contains("alert"), "\(result.stderr)")
        }
    }

    @Test(arguments: ["1.2", "1.3"])
    func trustedCertificatePasses(tls: String) async throws {
        try await withTestServer(mode: .require) { server in
            let result = try await server.curl(as: server.pki.client).run(
                server.url("/api/hello?name=required"),
                tlsArguments(tls)
            )
            #expect(result.text == "Hello, required.")
        }
    }
}
