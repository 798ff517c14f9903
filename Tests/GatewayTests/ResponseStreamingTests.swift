import Foundation
import GatehouseClient
import GatehouseTesting
import HTTPTypes
import NIOCore
import Testing

/// Client protocol × upstream protocol, every pairing.
private let pairings: [(ClientConfiguration.HTTPVersionPreference, String)] = [
    (.http1_1, "[http/1.1]"), (.http2, "[h2]"), (.http1_1, "[h2]"), (.http2, "[http/1.1]"),
]

@Suite("The gateway streams upstream responses to its client")
struct ResponseStreamingTests {
    /// Runs the echo upstream and a gateway in front of it speaking `protocols` upstream (`extra` upstream keys added).
    private func withStreamingGateway(
        protocols: String,
        extra: String = "",
        _ body: (GatehouseTestServer) async throws -> Void
    ) async throws {
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nprotocols: \(protocols)\n\(extra)"
            )
            try await withGateway(configuration, body)
        }
    }

    /// Polls `value` until it has not changed for 1.5 s (`true` and the value), or `timeout` passed (`false`).
    private static func settled(within timeout: Duration, _ value: () -> Int) async throws -> (Bool, Int) {
        let deadline = ContinuousClock.now + timeout
        var last = value()
        var since = ContinuousClock.now
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            let now = value()
            if now != last {
                last = now
                since = ContinuousClock.now
            } else if ContinuousClock.now - since >= .milliseconds(1500) {
                return (true, now)
            }
        }
        return (false, last)
    }

    private func request(_ gateway: GatehouseTestServer, _ path: String) -> HTTPRequest {
        HTTPRequest(method: .get, scheme: "https", authority: "127.0.0.1:\(gateway.port)", path: path)
    }

    @Test(arguments: pairings)
    func theFirstBytesReachTheClientWhileTheUpstreamIsStillSending(
        clientVersion: ClientConfiguration.HTTPVersionPreference,
        protocols: String
    ) async throws {
        try await withStreamingGateway(protocols: protocols) { gateway in
            let client = try gateway.client(httpVersion: clientVersion).httpClient
            let tag = UUID().uuidString
            let size = 1 << 20
            let request = self.request(gateway, "/orders/produce?bytes=\(size)&hold=1&tag=\(tag)")
            let received = try await client.execute(request) { response in
                #expect(response.status == .ok)
                var iterator = response.body.makeAsyncIterator()
                var received = try await iterator.next()?.readableBytes ?? 0
                // The upstream holds the rest back until released: this piece was relayed, not collected.
                #expect(received > 0)
                #expect(ProduceLog.outcome(tag) == nil && ProduceLog.written(tag) == 64 * 1024)
                ProduceLog.release(tag)
                while let piece = try await iterator.next() { received += piece.readableBytes }
                return received
            }
            #expect(received == size)
            #expect(ProduceLog.outcome(tag) == "complete")
        }
    }

    @Test(arguments: pairings)
    func aClientThatStopsReadingStopsTheGatewayReadingTheUpstream(
        clientVersion: ClientConfiguration.HTTPVersionPreference,
        protocols: String
    ) async throws {
        try await withStreamingGateway(protocols: protocols) { gateway in
            let client = try gateway.client(httpVersion: clientVersion).httpClient
            let tag = UUID().uuidString
            let size = 256 << 20
            let (isStalled, written) = try await client.execute(
                self.request(gateway, "/orders/produce?bytes=\(size)&tag=\(tag)")
            ) { response in
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                // The client takes nothing more: every buffer on the way fills (as fast as this busy machine moves
                // the bytes), then the upstream must wait — its count stops moving.
                return try await Self.settled(within: .seconds(30)) { ProduceLog.written(tag) }
            }
            #expect(isStalled, "the upstream went on writing while the client read nothing: \(written) bytes")
            #expect(written < 24 << 20, "the upstream wrote \(written) bytes while the client read one piece")
            // Leaving the body unread cancels the client's request, and the gateway's upstream request with it.
            let cancelled = try await eventually { ProduceLog.outcome(tag) == "cancelled" }
            #expect(cancelled, "the upstream's producer ended \(ProduceLog.outcome(tag) ?? "never")")
        }
    }

    @Test(arguments: pairings)
    func anUpstreamThatBreaksOffAfterTheHeadBreaksTheClientsResponseOff(
        clientVersion: ClientConfiguration.HTTPVersionPreference,
        protocols: String
    ) async throws {
        try await withStreamingGateway(protocols: protocols) { gateway in
            let client = try gateway.client(httpVersion: clientVersion).httpClient
            for length in ["", "&length=1"] {
                let tag = UUID().uuidString
                let path = "/orders/produce?bytes=1048576&failAt=262144&tag=\(tag)\(length)"
                // The head (200) went out before the failure: the client must see a broken response, not a
                // complete one (HTTP/1.1: closed short of the body; HTTP/2: RST_STREAM).
                await #expect(throws: ClientError.self, "\(path)") {
                    try await client.execute(self.request(gateway, path)) { response in
                        #expect(response.status == .ok)
                        _ = try await response.body.collect(upTo: 1 << 30)
                    }
                }
                #expect(ProduceLog.outcome(tag) == "failed")
            }
            // The gateway goes on answering.
            #expect(try await gateway.client(httpVersion: clientVersion).get("/orders/after").status == .ok)
        }
    }

    @Test(arguments: ["[http/1.1]", "[h2]"])
    func abandonedDownloadsLeakNoUpstreamConnection(protocols: String) async throws {
        try await withStreamingGateway(protocols: protocols, extra: "maxConnections: 1\nresponseTimeout: 5s") {
            gateway in
            let client = try gateway.client(httpVersion: .http2).httpClient
            var tags: [String] = []
            for _ in 0..<5 {
                let tag = UUID().uuidString
                tags.append(tag)
                _ = try await client.execute(self.request(gateway, "/orders/produce?bytes=67108864&tag=\(tag)")) {
                    response in
                    var iterator = response.body.makeAsyncIterator()
                    return try await iterator.next()?.readableBytes
                }
            }
            // Each abandoned download cancelled its upstream request (HTTP/1.1: the connection closed; HTTP/2: the
            // stream reset) …
            let cancelled = try await eventually { tags.allSatisfy { ProduceLog.outcome($0) == "cancelled" } }
            #expect(cancelled, "\(tags.map { ProduceLog.outcome($0) ?? "running" })")
            // … and gave its place in the pool back: the one connection allowed is there for the next requests.
            let gatewayClient = try gateway.client()
            for _ in 0..<3 {
                let response = try await gatewayClient.get("/orders/next")
                #expect(try echoed(response).path == "/next")
            }
        }
    }

    @Test func aBodyOverMaxResponseBodySizeIsRefusedOrBrokenOff() async throws {
        try await withStreamingGateway(protocols: "[h2, http/1.1]", extra: "maxResponseBodySize: 1MiB") { gateway in
            let client = try gateway.client()
            // Announced: a 502 before any of it is sent.
            let announced = try await client.get("/orders/produce?bytes=1048577&length=1&tag=\(UUID().uuidString)")
            #expect(announced.status == .badGateway)
            #expect(announced.head.headerFields[.contentType] == "application/problem+json")
            // At the bound: relayed.
            let exact = try await client.get("/orders/produce?bytes=1048576&tag=\(UUID().uuidString)")
            #expect(exact.body.readableBytes == 1 << 20)
            // Chunked past the bound: the response is broken off once the body grows past it.
            await #expect(throws: ClientError.self) {
                _ = try await client.get("/orders/produce?bytes=4194304&tag=\(UUID().uuidString)")
            }
        }
    }
}
