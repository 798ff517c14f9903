import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseClient
import GatehouseTransport
import HTTPTypes
import TestSupport
import Testing

/// A trusted proxy that forwards the largest chain a listener reads, on every request, to a real `gatehouse`
/// process: each chain is parsed and verified per request and kept by nothing, so the server's memory stays flat.
@Suite("Behind a TLS-terminating proxy: hostile proxy")
struct ForwardedClientCertificateHostileProxyTests {
    @Test func maximalForwardedChainsOnEveryRequestDoNotGrowTheServer() async throws {
        let folder = try ConfigurationFolder()
        let port = try freeLoopbackPort()
        let file = try folder.write(
            """
            listeners:
              - host: 127.0.0.1
                port: \(port)
                tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: request }
                trustForwardedClientCertificate: { header: rfc9440, fromPolicy: edge-proxies }
            policies:
              edge-proxies: { trustedCAs: [pki/ca.crt], identities: [{ commonName: edge-proxy }] }
              partners: { trustedCAs: [pki/ca.crt] }
            routes:
              - { path: /api/hello, function: hello, policy: partners }
            """
        )
        let process = try ChildProcess(
            try builtExecutable("gatehouse"),
            ["serve", "--config", file, "--log-level", "error", "--event-loops", "1"],
            in: folder.path
        )
        defer { _ = process.stop(signal: SIGKILL) }
        let pki = folder.pki
        let proxyIdentity = try pki.client(named: "edge-proxy")
        let client = try HTTPClient(
            configuration: ClientConfiguration(
                identity: .pem(certificateChainFile: proxyIdentity.chainFile, privateKeyFile: proxyIdentity.keyFile),
                trustedCAFiles: [pki.rootCAFile],
                httpVersion: .http2
            )
        )
        let url = "https://127.0.0.1:\(port)/api/hello"
        // Eight certificates (the most a listener reads) from a CA the policy does not trust: verified on every
        // request, since only chains that verify are cached.
        let chain = [pki.strangerClient.certificate] + Array(repeating: pki.strangerCA, count: 7)
        let fields = ForwardedCertificateHeaders.fields(.rfc9440, chain: chain)
        let deadline = Date().addingTimeInterval(30)
        while (try? await client.execute(.get, url, headerFields: fields)) == nil, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        func run(_ count: Int) async throws {
            for _ in 0..<count {
                let response = try await client.execute(.get, url, headerFields: fields)
                #expect(response.status.code == 403)
            }
        }
        try await run(100)
        let before = try ProcessResources(pid: process.pid)
        try await run(600)
        let after = try ProcessResources(pid: process.pid)
        // A chain kept per request would be about 8 × 6 KiB parsed: 28 MiB over 600 requests.
        #expect(after.residentKiB - before.residentKiB < 8 * 1024, "before: \(before), after: \(after)")
        await client.shutdown()
        #expect(process.stop() == 0)
    }
}
