import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseRouting
import GatehouseTesting
import GatehouseTransport
import HTTPTypes
import NIOCore
import TestSupport
import Testing

/// The upstream behind the gateway process: answers what it received as JSON (`x-delay-ms` waits first).
private struct HeaderEcho: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        if let delay = request.head.headerFields[HTTPField.Name("x-delay-ms")!].flatMap(Int.init) {
            try await Task.sleep(for: .milliseconds(delay))
        }
        let document: [String: Any] = [
            "path": request.head.path ?? "",
            "headers": request.head.headerFields.map { [$0.name.canonicalName, $0.value] },
            "peer": context.connection.tls.peerCertificate?.subject ?? "",
            "connection": context.connection.id,
        ]
        let data = try JSONSerialization.data(withJSONObject: document)
        return Response(status: .ok, headerFields: [.contentType: "application/json"], body: ByteBuffer(bytes: data))
    }
}

private struct Seen: Decodable {
    let path: String
    let headers: [[String]]
    let peer: String
    let connection: UInt64

    func values(_ name: String) -> [String] { self.headers.filter { $0[0] == name }.map { $0[1] } }
}

@Suite("A gatehouse process as a gateway in front of an upstream service")
struct GatewayEndToEndTests {
    /// Runs the echo upstream in this process and a `gatehouse serve` gateway process in front of it.
    private func withGatewayProcess(
        upstreamKeys: String,
        _ body: (ServerProcess, HTTPClient, TestPKI) async throws -> Void
    ) async throws {
        var routes = RouterBuilder()
        try routes.add("/*", methods: [.get, .post], function: HeaderEcho())
        try await GatehouseTestServer.withServer(router: routes.build()) { upstream in
            let pki = upstream.pki
            let gateway = try ServerProcess(
                extraYAML: """
                      - { path: /orders/*, methods: [GET, POST], upstream: orders, policy: partners, stripPrefix: /orders }
                    upstreams:
                      orders:
                        url: https://127.0.0.1:\(upstream.port)
                        tls: { trustedCAs: [pki/ca.crt], certificate: \(pki.rootClient.chainFile), privateKey: \(pki.rootClient.keyFile), serverName: localhost }
                    \(upstreamKeys.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                    """
            )
            defer { _ = gateway.stop() }
            let client = try HTTPClient(
                configuration: ClientConfiguration(
                    identity: .pem(certificateChainFile: pki.client.chainFile, privateKeyFile: pki.client.keyFile),
                    trustedCAFiles: [pki.rootCAFile],
                    httpVersion: .http2
                )
            )
            do {
                try await body(gateway, client, pki)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
            #expect(gateway.stop() == 0)
        }
    }

    @Test func theUpstreamSeesTheClientsCertificateTheGatewaysIdentityAndNoSpoofs() async throws {
        try await withGatewayProcess(upstreamKeys: "forwardClientCertificate: rfc9440") { gateway, client, pki in
            let response = try await client.execute(
                .get,
                "https://127.0.0.1:\(gateway.port)/orders/a/b?c=d",
                headerFields: [
                    HTTPField.Name("Client-Cert")!: ":AAAA:", HTTPField.Name("X-Forwarded-Client-Cert")!: "x",
                ]
            )
            #expect(response.status == .ok, "\(response.bodyText)")
            let seen = try JSONDecoder().decode(Seen.self, from: Data(response.bodyText.utf8))
            #expect(seen.path == "/a/b?c=d")
            #expect(seen.peer == pki.rootClient.certificate.subject)
            let expected = ":" + Data(pki.client.certificate.derBytes).base64EncodedString() + ":"
            #expect(seen.values("client-cert") == [expected])
            #expect(seen.values("x-forwarded-client-cert").isEmpty)
            #expect(seen.values("x-forwarded-for") == ["127.0.0.1"])

            // A stranger's certificate fails the route's policy at the gateway: nothing reaches the upstream.
            let stranger = try HTTPClient(
                configuration: ClientConfiguration(
                    identity: .pem(
                        certificateChainFile: pki.strangerClient.chainFile,
                        privateKeyFile: pki.strangerClient.keyFile
                    ),
                    trustedCAFiles: [pki.rootCAFile]
                )
            )
            let refused = try await stranger.execute(.get, "https://127.0.0.1:\(gateway.port)/orders/a")
            #expect(refused.status == .forbidden)
            await stranger.shutdown()
        }
    }

    @Test func manyConcurrentRequestsHoldAtMostMaxConnectionsUpstream() async throws {
        try await withGatewayProcess(upstreamKeys: "protocols: [http/1.1]\nmaxConnections: 3") { gateway, client, _ in
            let port = gateway.port
            let pid = gateway.pid
            _ = try await client.execute(.get, "https://127.0.0.1:\(port)/healthz")
            let before = try gateway.resources()
            let (connections, peak) = try await withThrowingTaskGroup(of: (UInt64?, Int?).self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        let response = try await client.execute(
                            .get,
                            "https://127.0.0.1:\(port)/orders/slow",
                            headerFields: [HTTPField.Name("x-delay-ms")!: "300"]
                        )
                        #expect(response.status == .ok)
                        return (
                            try? JSONDecoder().decode(Seen.self, from: Data(response.bodyText.utf8)).connection, nil
                        )
                    }
                }
                group.addTask {
                    var peak = 0
                    for _ in 0..<40 {
                        if let now = try? ProcessResources(pid: pid) { peak = max(peak, now.openDescriptors) }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    return (nil, peak)
                }
                var seen: [UInt64] = []
                var peak = 0
                for try await (connection, sampled) in group {
                    if let connection { seen.append(connection) }
                    if let sampled { peak = sampled }
                }
                return (seen, peak)
            }
            #expect(connections.count == 24)
            #expect(Set(connections).count <= 3, "the upstream saw \(Set(connections).count) connections")
            // One client connection was already open: the gateway's extra descriptors are its upstream connections.
            let grew = peak - before.openDescriptors
            #expect(grew <= 3 + 2, "the gateway's descriptors grew by \(grew) (before: \(before))")
        }
    }
}
