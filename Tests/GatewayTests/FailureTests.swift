import Foundation
import GatehouseClient
import GatehouseConfiguration
import GatehouseTesting
import GatehouseTransport
import HTTPTypes
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

@Suite("The gateway answers upstream failures with 502 and 504, bounds its pool, and cancels")
struct FailureTests {
    @Test func nothingListeningIs502() async throws {
        let raw = try await RawUpstream.start(reply: nil)
        let port = raw.port
        await raw.stop()
        try await withGateway(gatewayConfiguration(url: "http://127.0.0.1:\(port)")) { gateway in
            let response = try await gateway.client().get("/open/x")
            #expect(response.status == .badGateway)
            #expect(response.head.headerFields[.contentType] == "application/problem+json")
            #expect(response.bodyText.contains("\"status\":502"))
        }
    }

    @Test func garbageIs502() async throws {
        let raw = try await RawUpstream.start(reply: "this is not HTTP\r\n\r\n")
        defer { Task { await raw.stop() } }
        try await withGateway(gatewayConfiguration(url: "http://127.0.0.1:\(raw.port)")) { gateway in
            let response = try await gateway.client().get("/open/x")
            #expect(response.status == .badGateway)
        }
        await raw.stop()
    }

    @Test func noAnswerIs504() async throws {
        let raw = try await RawUpstream.start(reply: nil)
        let configuration = gatewayConfiguration(
            url: "http://127.0.0.1:\(raw.port)",
            upstream: "responseTimeout: 500ms"
        )
        try await withGateway(configuration) { gateway in
            let response = try await gateway.client().get("/open/x")
            #expect(response.status == .gatewayTimeout)
            #expect(response.head.headerFields[.contentType] == "application/problem+json")
            #expect(response.bodyText.contains("\"status\":504"))
        }
        await raw.stop()
    }

    @Test func aConnectThatHangsIs504() async throws {
        // A listener that never accepts, with a backlog of one taken by a first connection: the kernel then drops
        // the gateway's SYNs, so its connect hangs until its connectTimeout.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 0)
            .serverChannelOption(.autoRead, value: false)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let filler = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        let configuration = gatewayConfiguration(
            url: "http://127.0.0.1:\(port)",
            upstream: "connectTimeout: 300ms\nresponseTimeout: 30s"
        )
        try await withGateway(configuration) { gateway in
            let started = ContinuousClock.now
            let response = try await gateway.client().get("/open/x")
            #expect(response.status == .gatewayTimeout)
            #expect(response.head.headerFields[.contentType] == "application/problem+json")
            #expect(ContinuousClock.now - started < .seconds(30))
        }
        try? await filler.close()
        try? await listener.close()
    }

    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func aBodyThatStallsAfterItsHeadBreaksTheResponseOff(
        clientVersion: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        let raw = try await RawUpstream.start(reply: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        let configuration = gatewayConfiguration(
            url: "http://127.0.0.1:\(raw.port)",
            upstream: "responseTimeout: 500ms"
        )
        try await withGateway(configuration) { gateway in
            // The head went out when it arrived: too late for a 504, the client sees the response broken off
            // (HTTP/1.1: closed short of its Content-Length; HTTP/2: RST_STREAM) instead of a short body.
            let client = try gateway.client(httpVersion: clientVersion)
            let request = HTTPRequest(
                method: .get,
                scheme: "https",
                authority: "127.0.0.1:\(gateway.port)",
                path: "/open/x"
            )
            let started = ContinuousClock.now
            await #expect(throws: ClientError.self) {
                try await client.httpClient.execute(request) { response in
                    #expect(response.status == .ok)
                    #expect(response.head.headerFields[.contentLength] == "100")
                    _ = try await response.body.collect(upTo: 1000)
                }
            }
            #expect(ContinuousClock.now - started < .seconds(30))
            // The stalled upstream connection was closed, not returned to the pool.
            #expect(try await eventually { raw.closed == 1 })
        }
        await raw.stop()
    }

    @Test func oversizedResponseIs502() async throws {
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nmaxResponseBodySize: 4KiB"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client()
                #expect(try await client.get("/orders/big?bytes=4096").body.readableBytes == 4096)
                #expect(try await client.get("/orders/big?bytes=4097").status == .badGateway)
            }
        }
    }

    @Test func concurrentRequestsShareAtMostMaxConnections() async throws {
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nprotocols: [http/1.1]\nmaxConnections: 2"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client(httpVersion: .http2)
                let connections = try await withThrowingTaskGroup(of: UInt64.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let response = try await client.get(
                                "/orders/slow",
                                headerFields: [HTTPField.Name("x-delay-ms")!: "200"]
                            )
                            return try echoed(response).connection
                        }
                    }
                    var seen: [UInt64] = []
                    for try await connection in group { seen.append(connection) }
                    return seen
                }
                #expect(connections.count == 8)
                #expect(Set(connections).count <= 2, "the upstream saw \(Set(connections).count) connections")
            }
        }
    }

    /// One upstream connection that never answers and room for one request to wait for it: of two more requests,
    /// one waits and ends as a 504 after the response timeout, like the held one, and the other is a 503 that never
    /// reaches the upstream.
    @Test func aFullQueueIs503AndTheWaitingRequestIs504() async throws {
        let raw = try await RawUpstream.start(reply: nil)
        let configuration = gatewayConfiguration(
            url: "http://127.0.0.1:\(raw.port)",
            upstream: "responseTimeout: 10s\nmaxConnections: 1\nmaxWaitingRequests: 1"
        )
        try await withGateway(configuration) { gateway in
            let client = try gateway.client(httpVersion: .http2)
            let held = Task { try await client.get("/open/held") }
            #expect(try await eventually(within: .seconds(30)) { raw.accepted == 1 })
            let later = try await withThrowingTaskGroup(of: ClientResponse.self) { group in
                for name in ["a", "b"] { group.addTask { try await client.get("/open/\(name)") } }
                var responses: [ClientResponse] = []
                for try await response in group { responses.append(response) }
                return responses
            }
            #expect(later.map(\.status.code).sorted() == [503, 504])
            let refused = try #require(later.first { $0.status == .serviceUnavailable })
            #expect(refused.head.headerFields[.contentType] == "application/problem+json")
            #expect(refused.bodyText.contains("\"status\":503"))
            #expect(refused.bodyText.contains("upstream 'backend' is at capacity"))
            #expect(try await held.value.status == .gatewayTimeout)
            #expect(raw.accepted <= 2, "only the held and the waiting request reached the upstream")
        }
        await raw.stop()
    }

    /// An HTTP/2 upstream that allows two streams at a time, and room for two requests to wait for one: of eight
    /// concurrent slow requests, four are answered and four are 503s.
    @Test func anHTTP2UpstreamsStreamsAndItsQueueAreBounded() async throws {
        try await withEchoUpstream(maxConcurrentStreams: 2) { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nprotocols: [h2]\nmaxWaitingRequests: 2"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client(httpVersion: .http2)
                // The gateway's upstream connection is open and has the upstream's SETTINGS.
                #expect(try await client.get("/orders/warm").status == .ok)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let response = try await client.get(
                                "/orders/slow",
                                headerFields: [HTTPField.Name("x-delay-ms")!: "6000"]
                            )
                            return Int(response.status.code)
                        }
                    }
                    var statuses: [Int] = []
                    for try await status in group { statuses.append(status) }
                    return statuses.sorted()
                }
                #expect(statuses == [200, 200, 200, 200, 503, 503, 503, 503])
            }
        }
    }

    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http2, .http1_1])
    func aClientThatGoesAwayCancelsTheUpstreamRequest(upstreamVersion: ClientConfiguration.HTTPVersionPreference)
        async throws
    {
        let protocols = upstreamVersion == .http2 ? "[h2]" : "[http/1.1]"
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nprotocols: \(protocols)"
            )
            try await withGateway(configuration) { gateway in
                let pki = gateway.pki
                let impatient = try HTTPClient(
                    configuration: ClientConfiguration(
                        identity: .pem(certificateChainFile: pki.client.chainFile, privateKeyFile: pki.client.keyFile),
                        trustedCAFiles: [pki.rootCAFile],
                        httpVersion: .http1_1,
                        timeout: .seconds(1)
                    )
                )
                let tag = UUID().uuidString
                await #expect(throws: ClientError.self) {
                    _ = try await impatient.execute(
                        .get,
                        gateway.url("/orders/wait"),
                        headerFields: [HTTPField.Name("x-delay-ms")!: "20000", HTTPField.Name("x-cancel-tag")!: tag]
                    )
                }
                await impatient.shutdown()
                // The upstream's request is cancelled long before its 20 s answer: HTTP/1.1 closed the upstream
                // connection, HTTP/2 reset the stream.
                let cancelled = try await eventually(within: .seconds(8)) {
                    cancelledEchoes.withLock { $0.contains(tag) }
                }
                #expect(cancelled)
            }
        }
    }

    @Test func aClientThatGoesAwayClosesTheUpstreamConnection() async throws {
        let raw = try await RawUpstream.start(reply: nil)
        let configuration = gatewayConfiguration(url: "http://127.0.0.1:\(raw.port)")
        try await withGateway(configuration) { gateway in
            let pki = gateway.pki
            let impatient = try HTTPClient(
                configuration: ClientConfiguration(
                    identity: .pem(certificateChainFile: pki.client.chainFile, privateKeyFile: pki.client.keyFile),
                    trustedCAFiles: [pki.rootCAFile],
                    httpVersion: .http1_1,
                    timeout: .seconds(1)
                )
            )
            await #expect(throws: ClientError.self) { _ = try await impatient.execute(.get, gateway.url("/open/x")) }
            await impatient.shutdown()
            #expect(try await eventually(within: .seconds(8)) { raw.accepted == 1 && raw.closed == 1 })
        }
        await raw.stop()
    }
}

@Suite("Upstreams across a reload")
struct UpstreamReloadTests {
    @Test func aChangedUpstreamAppliesToTheNextRequest() async throws {
        let broken = try await RawUpstream.start(reply: "not HTTP\r\n\r\n")
        try await withEchoUpstream { port in
            let before = gatewayConfiguration(url: "http://127.0.0.1:\(broken.port)")
            try await withGateway(before) { gateway in
                let client = try gateway.client()
                #expect(try await client.get("/open/x").status == .badGateway)
                let after = gatewayConfiguration(
                    url: "https://127.0.0.1:\(port)",
                    upstream: "tls: { trustedCAs: [pki/ca.crt] }"
                )
                let file = try #require(gateway.directory) + "/gatehouse.yaml"
                try after.write(toFile: file, atomically: true, encoding: .utf8)
                let service = try #require(gateway.service)
                #expect(await service.reload(reason: "test"))
                #expect(try echoed(try await client.get("/open/x")).path == "/open/x")
            }
        }
        await broken.stop()
    }
}
