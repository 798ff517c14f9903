import Foundation
import TestSupport
import Testing

/// Issue 16's bound for responses: a 1 GiB download through a `gatehouse serve` gateway (an upstream route, the
/// upstream's body relayed as the client takes it) must not grow the gateway's RSS by more than 32 MiB, and a client
/// that stops reading must not make the gateway read on from its upstream.
extension StreamingMemoryTests {
    /// A gateway process with route `/down/*` to `upstream`'s streaming routes, over `protocols`.
    private func gateway(to upstream: StreamingServerProcess, protocols: String) throws -> ServerProcess {
        let pki = upstream.folder.pki
        return try ServerProcess(
            extraYAML: """
                  - { path: /down/*, methods: [GET, HEAD], upstream: producer, policy: partners, stripPrefix: /down }
                upstreams:
                  producer:
                    url: https://127.0.0.1:\(upstream.port)
                    protocols: \(protocols)
                    tls: { trustedCAs: [pki/ca.crt], certificate: \(pki.client.chainFile), privateKey: \(pki.client.keyFile), serverName: localhost }
                """
        )
    }

    /// Downloads `bytes` through the gateway with curl, to /dev/null; the answer is the size curl received.
    private func download(
        _ bytes: Int,
        protocolFlag: String,
        through gateway: ServerProcess,
        upstream: StreamingServerProcess
    ) async throws -> ProcessOutput {
        let url = "https://127.0.0.1:\(gateway.port)/down/stream/download?bytes=\(bytes)"
        return try await runProcess(
            "/usr/bin/env",
            ["curl"] + upstream.curlArguments + [protocolFlag, "-o", "/dev/null", "-w", "%{size_download}", url]
        )
    }

    @Test(arguments: [("--http1.1", "[h2]"), ("--http2", "[http/1.1]")])
    func aGibibyteDownloadThroughAGatewayKeepsTheGatewaysMemoryBounded(
        protocolFlag: String,
        upstreamProtocols: String
    ) async throws {
        let upstream = try StreamingServerProcess()
        defer { upstream.stop() }
        let gateway = try self.gateway(to: upstream, protocols: upstreamProtocols)
        defer { _ = gateway.stop() }
        let warmUp = try await self.download(16 << 20, protocolFlag: protocolFlag, through: gateway, upstream: upstream)
        #expect(warmUp.stdout == "\(16 << 20)", "\(warmUp.stderr)")
        let baseline = try gateway.resources().residentKiB
        let sampler = PeakSampler(pid: gateway.pid)
        let gibibyte = 1 << 30
        let download = try await self.download(
            gibibyte,
            protocolFlag: protocolFlag,
            through: gateway,
            upstream: upstream
        )
        let peak = sampler.stop()
        #expect(download.stdout == "\(gibibyte)", "the client received every byte: \(download.stderr)")
        #expect(
            peak - baseline < Self.maxGrowthKiB,
            "the gateway's RSS grew from \(baseline) KiB to a peak of \(peak) KiB during a 1 GiB download"
        )
    }

    @Test(arguments: ["[h2]", "[http/1.1]"])
    func aClientThatStopsReadingAGatewayDownloadLeavesTheGatewaysMemoryBounded(upstreamProtocols: String)
        async throws
    {
        let upstream = try StreamingServerProcess()
        defer { upstream.stop() }
        let gateway = try self.gateway(to: upstream, protocols: upstreamProtocols)
        defer { _ = gateway.stop() }
        let warmUp = try await self.download(16 << 20, protocolFlag: "--http1.1", through: gateway, upstream: upstream)
        #expect(warmUp.stdout == "\(16 << 20)", "\(warmUp.stderr)")
        let baseline = try gateway.resources().residentKiB
        let client = try gateway.connect()
        #expect(client.send("GET /down/stream/download?bytes=1073741824 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let first = client.receive(timeout: 10) { $0.count >= 64 * 1024 }
        #expect(first.bytes.count >= 64 * 1024)
        // The client stops reading: the gateway must stop reading its upstream instead of queueing the gibibyte.
        try await Task.sleep(for: .seconds(3))
        let stalled = try gateway.resources().residentKiB
        #expect(
            stalled - baseline < Self.maxGrowthKiB,
            "the gateway's RSS grew from \(baseline) KiB to \(stalled) KiB while a client did not read a 1 GiB download"
        )
        // The gateway still answers others meanwhile.
        let other = try await self.download(10, protocolFlag: "--http2", through: gateway, upstream: upstream)
        #expect(other.stdout == "10", "\(other.stderr)")
    }
}
