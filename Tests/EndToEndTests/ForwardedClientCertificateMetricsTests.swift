import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import GatehouseTransport
import HTTPTypes
import NIOCore
import Prometheus
import TestSupport
import Testing

/// The `gatehouse_client_certificate_*` series for forwarded certificates: the route's policy counts one decision per
/// forwarded request (the proxy's connection carries many clients), the proxy policy one per connection; and the
/// verified-chain cache verifies a repeated forwarded chain once.
@Suite("Behind a TLS-terminating proxy: metrics")
struct ForwardedClientCertificateMetricsTests {
    @Test func theRoutesPolicyCountsEachForwardedRequestAndTheProxyPolicyItsConnection() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(ForwardedClientCertificateEndToEndTests.yaml(header: .rfc9440))
        let registry = PrometheusCollectorRegistry()
        let service = try GatehouseService(
            configurationFile: file,
            functions: ForwardedClientCertificateEndToEndTests.functions,
            logger: TestServer.quietLogger,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let port = try #require(try await service.server.start().first?.port)
        let pki = folder.pki
        let proxyIdentity = try pki.client(named: "edge-proxy")
        let httpClient = try HTTPClient(
            configuration: ClientConfiguration(
                identity: .pem(certificateChainFile: proxyIdentity.chainFile, privateKeyFile: proxyIdentity.keyFile),
                trustedCAFiles: [pki.rootCAFile],
                httpVersion: .http2
            )
        )
        let proxy = TestClient(httpClient: httpClient, baseURL: "https://127.0.0.1:\(port)")
        let alice = try pki.client(named: "fwd-alice")
        let aliceFields = ForwardedCertificateHeaders.fields(.rfc9440, chain: alice.chain)
        #expect(try await proxy.get("/api/hello", headerFields: aliceFields).status.code == 200)
        let first = service.verifiedChainStatistics
        for _ in 0..<2 { #expect(try await proxy.get("/api/hello", headerFields: aliceFields).status.code == 200) }
        // A repeated forwarded chain is answered by the verified-chain cache, not verified again.
        let repeated = service.verifiedChainStatistics
        #expect(repeated.misses == first.misses, "\(first) → \(repeated)")
        #expect(repeated.hits == first.hits + 2, "\(first) → \(repeated)")
        let expired = ForwardedCertificateHeaders.fields(.rfc9440, chain: pki.expiredClient.chain)
        #expect(try await proxy.get("/api/hello", headerFields: expired).status.code == 403)

        let text = PrometheusText(registry.emitToString())
        func decisions(_ policy: String, _ result: String, _ reason: String) -> Double? {
            text.value(
                "gatehouse_client_certificate_decisions_total",
                ["policy": policy, "result": result, "reason": reason]
            )
        }
        #expect(decisions("partners", "allowed", "ok") == 3)
        #expect(decisions("partners", "refused", "expired") == 1)
        #expect(decisions("edge-proxies", "allowed", "ok") == 1, "one connection, one decision")
        let expiry = text.value(
            "gatehouse_client_certificate_expiry_timestamp_seconds",
            ["policy": "partners", "subject": alice.certificate.subject, "sha256": alice.certificate.sha256.hexString]
        )
        #expect(expiry == alice.certificate.notAfter.timeIntervalSince1970)
        await httpClient.shutdown()
        await service.server.shutdown()
    }
}
