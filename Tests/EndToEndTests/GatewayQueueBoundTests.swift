import Foundation
import GatehouseClient
import GatehouseRouting
import GatehouseTesting
import GatehouseTransport
import HTTPTypes
import Synchronization
import TestSupport
import Testing

/// The requests a gateway holds for a busy upstream are bounded: a client that sends hundreds of requests to an
/// upstream that never answers gets all but one in flight and `maxWaitingRequests` of them refused with 503 at once,
/// and the gateway holds one upstream connection and the bound's worth of requests, measured in `/proc/PID`.
@Suite("A gateway's queue for a busy upstream is bounded")
struct GatewayQueueBoundTests {
    /// HTTP/1.1: one connection (`maxConnections: 1`) to an upstream that accepts and never reads or answers.
    @Test func aFloodOfRequestsToAStuckUpstreamIsRefusedBeyondTheQueue() async throws {
        let stuck = try await LoopbackTCPServer.start(autoRead: false)
        try await self.flood(upstream: "url: http://127.0.0.1:\(stuck.port)\nprotocols: [http/1.1]\nmaxConnections: 1")
        await stuck.stop()
    }

    /// HTTP/2: one stream at a time (the upstream's SETTINGS_MAX_CONCURRENT_STREAMS) to an upstream whose function
    /// never answers; the requests beyond it wait as queued streams. One answered request first gives the gateway's
    /// upstream connection the upstream's SETTINGS (streams opened before them are refused by the upstream: 502).
    @Test func aFloodOfRequestsToAnHTTP2UpstreamWithOneStreamIsRefusedBeyondTheQueue() async throws {
        var routes = RouterBuilder()
        try routes.add("/stuck/ready", function: AnswersAtOnce())
        try routes.add("/*", function: NeverAnswers())
        var limits = ConnectionLimits()
        limits.maxConcurrentStreams = 1
        try await GatehouseTestServer.withServer(router: routes.build(), limits: limits) { upstream in
            try await self.flood(
                upstream: """
                    url: https://127.0.0.1:\(upstream.port)
                    protocols: [h2]
                    tls: { trustedCAs: [pki/ca.crt], serverName: localhost }
                    """,
                warmUp: "/stuck/ready"
            )
        }
    }

    /// Runs a gateway with route `/stuck/*` to an upstream with `upstream`'s keys (and `responseTimeout: 8s`,
    /// `maxWaitingRequests: 10`) that holds one request and answers none, floods it with 240 concurrent requests from
    /// three HTTP/2 clients, and measures what the gateway holds; `warmUp` is asked for through the gateway first.
    private func flood(upstream: String, warmUp: String? = nil) async throws {
        let keys = (upstream + "\nresponseTimeout: 8s\nmaxWaitingRequests: 10").split(separator: "\n")
        let gateway = try ServerProcess(
            extraYAML: """
                  - { path: /stuck/*, upstream: stuck, policy: partners }
                upstreams:
                  stuck:
                """ + keys.map { "\n    " + $0 }.joined()
        )
        defer { _ = gateway.stop() }
        let pki = gateway.folder.pki
        let clients = try (0..<3).map { _ in
            try HTTPClient(
                configuration: ClientConfiguration(
                    identity: .pem(certificateChainFile: pki.client.chainFile, privateKeyFile: pki.client.keyFile),
                    trustedCAFiles: [pki.rootCAFile],
                    httpVersion: .http2
                )
            )
        }
        // Each client's one connection and handshake first, so that the baseline has them.
        for client in clients {
            let hello = try await client.execute(.get, "https://127.0.0.1:\(gateway.port)/api/hello")
            #expect(hello.status == .ok)
        }
        if let warmUp {
            let ready = try await clients[0].execute(.get, "https://127.0.0.1:\(gateway.port)\(warmUp)")
            #expect(ready.status == .ok)
        }
        let baseline = try gateway.resources()
        let port = gateway.port
        let answered = AnsweredCount()
        let started = ContinuousClock.now
        let flood = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for client in clients {
                    for number in 0..<80 {
                        group.addTask {
                            let url = "https://127.0.0.1:\(port)/stuck/\(number)"
                            let status = Int(try await client.execute(.get, url).status.code)
                            answered.value.wrappingAdd(1, ordering: .relaxed)
                            return status
                        }
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await status in group { statuses[status, default: 0] += 1 }
                return statuses
            }
        }
        // The refusals come back while the held and waiting requests still wait for the upstream.
        _ = await eventually(seconds: 10) { answered.value.load(ordering: .relaxed) >= 240 - 11 }
        let during = try gateway.resources()
        let statuses = try await flood.value
        let elapsed = ContinuousClock.now - started
        print("gateway queue flood: \(statuses) in \(elapsed); baseline \(baseline), during \(during)")
        #expect(statuses == [503: 240 - 11, 504: 11], "\(statuses)")
        // At most the held request's 8 s, then a waiter's own 8 s once it got the connection.
        #expect(elapsed < .seconds(30))
        // Three client connections and one upstream connection at most, whatever the flood.
        #expect(during.openDescriptors <= baseline.openDescriptors + 2, "\(baseline) → \(during)")
        #expect(during.residentKiB - baseline.residentKiB < 8 * 1024, "\(baseline) → \(during)")
        // 229 refusals make a warning a second that counts them, not a line each; the 504s have one each.
        let log = gateway.process.readErrors(timeout: 5) { $0.components(separatedBy: "status=504").count > 11 }
        let refusalLines = log.split(separator: "\n").filter { $0.contains("status=503") }
        #expect(refusalLines.count >= 1 && refusalLines.count <= 10, "\(refusalLines)")
        #expect(refusalLines.first?.contains("refused since the last line=1") == true, "\(refusalLines)")
        for client in clients { await client.shutdown() }
        let settled = try await eventually(seconds: 5) {
            try gateway.resources().openDescriptors <= baseline.openDescriptors - 3 + 1
        }
        #expect(settled, "descriptors after the clients left: \((try? gateway.resources())?.description ?? "?")")
    }

    /// An upstream function that answers 200 at once.
    private struct AnswersAtOnce: Function {
        func respond(to request: Request, context: RequestContext) async throws -> Response { Response(status: .ok) }
    }

    /// An upstream function that holds every request and answers none (until its minute is up).
    private struct NeverAnswers: Function {
        func respond(to request: Request, context: RequestContext) async throws -> Response {
            try await Task.sleep(for: .seconds(60))
            return Response(status: .ok)
        }
    }

    /// Requests of the flood answered so far.
    private final class AnsweredCount: Sendable {
        let value = Atomic<Int>(0)
    }
}
