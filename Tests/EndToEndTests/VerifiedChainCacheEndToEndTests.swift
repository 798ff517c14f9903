import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import GatehouseTransport
import HTTPTypes
import TestSupport
import Testing

@Suite("One verified-chain cache per service, over real sockets")
struct VerifiedChainCacheEndToEndTests {
    /// The default shape: a listener that asks for client certificates and a policy, both trusting the test root.
    static let yaml = """
        listeners:
          - host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: request, trustedCAs: [pki/ca.crt] }
        policies:
          partners: { trustedCAs: [pki/ca.crt] }
        routes:
          - { path: /api/hello, function: hello, policy: partners }
        verificationCache: { maxEntries: 100, maxBytes: 1MiB }
        """

    /// One request on a new connection presenting `client`.
    private func hello(_ client: TestIdentity, port: Int, pki: TestPKI) async throws -> Int {
        let http = try HTTPClient(
            configuration: ClientConfiguration(
                identity: .pem(certificateChainFile: client.chainFile, privateKeyFile: client.keyFile),
                trustedCAFiles: [pki.rootCAFile],
                httpVersion: .http1_1
            )
        )
        defer { Task { await http.shutdown() } }
        return try await http.execute(.get, "https://127.0.0.1:\(port)/api/hello").status.code
    }

    @Test func aNewClientIsVerifiedOnceAndAReloadKeepsTheCache() async throws {
        let folder = try ConfigurationFolder()
        let pki = folder.pki
        let file = try folder.write(Self.yaml)
        try await withConfiguredServer(file) { service, port in
            let clients = [pki.client, try pki.client(named: "cache-e2e-1"), try pki.client(named: "cache-e2e-2")]
            for client in clients { #expect(try await self.hello(client, port: port, pki: pki) == 200) }
            // One X509_verify_cert per new client (the handshake's); the policy took each from its connection.
            var statistics = service.verifiedChainStatistics
            #expect(statistics.misses == 3 && statistics.hits == 3 && statistics.count == 3, "\(statistics)")
            #expect(service.verifiedChainLimits == VerificationCacheLimits(maxEntries: 100, maxBytes: 1 << 20))

            // A reload with the same trust material keeps the cache and the generation: nobody is verified again.
            #expect(await service.reload(reason: "test"))
            for client in clients { #expect(try await self.hello(client, port: port, pki: pki) == 200) }
            statistics = service.verifiedChainStatistics
            #expect(statistics.misses == 3 && statistics.hits == 9 && statistics.count == 3, "\(statistics)")

            // New trust material (the policy now pins the intermediate too) is a new generation for the policy.
            try folder.copy(pki.intermediateCAFile, to: "pki/intermediate.crt")
            try folder.write(
                Self.yaml.replacingOccurrences(
                    of: "partners: { trustedCAs: [pki/ca.crt] }",
                    with: "partners: { trustedCAs: [pki/ca.crt], intermediates: [pki/intermediate.crt] }"
                )
            )
            #expect(await service.reload(reason: "test"))
            #expect(try await self.hello(pki.client, port: port, pki: pki) == 200)
            statistics = service.verifiedChainStatistics
            #expect(statistics.misses == 4 && statistics.count == 4, "\(statistics)")
        }
    }
}
