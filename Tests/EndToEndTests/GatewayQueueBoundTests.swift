import Foundation
import GatehouseClient
import GatehouseTransport
import HTTPTypes
import Synchronization
import TestSupport
import Testing

/// The requests a gateway holds for a busy upstream are bounded: a client that sends hundreds of requests to an
/// upstream that never answers gets all but `maxConnections` + `maxWaitingRequests` of them refused with 503 at
/// once, and the gateway holds one upstream connection and the bound's worth of requests, measured in
/// `/proc/PID`.
@Suite("A gateway's queue for a busy upstream is bounded")
struct GatewayQueueBoundTests {
    @Test func aFloodOfRequestsToAStuckUpstreamIsRefusedBeyondTheQueue() async throws {
        // An upstream that accepts connections and never reads or answers.
        let stuck = try await LoopbackTCPServer.start(autoRead: false)
        let upstreamPort = stuck.port
        let gateway = try ServerProcess(
            extraYAML: """
                  - { path: /stuck/*, upstream: stuck, policy: partners }
                upstreams:
                  stuck:
                    url: http://127.0.0.1:\(upstreamPort)
                    protocols: [http/1.1]
                    responseTimeout: 8s
                    maxConnections: 1
                    maxWaitingRequests: 10
                """
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
        for _ in 0..<200 where answered.value.load(ordering: .relaxed) < 240 - 11 {
            try await Task.sleep(for: .milliseconds(50))
        }
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
        let settled = try await eventuallySettled { try gateway.resources().openDescriptors }
        #expect(settled <= baseline.openDescriptors - 3 + 1, "descriptors after the clients left: \(settled)")
        await stuck.stop()
    }

    /// Requests of the flood answered so far.
    private final class AnsweredCount: Sendable {
        let value = Atomic<Int>(0)
    }

    /// The lowest value `read` gives over 5 s once it stops falling.
    private func eventuallySettled(_ read: () throws -> Int) async throws -> Int {
        var lowest = try read()
        for _ in 0..<25 {
            try await Task.sleep(for: .milliseconds(200))
            lowest = min(lowest, try read())
        }
        return lowest
    }
}
