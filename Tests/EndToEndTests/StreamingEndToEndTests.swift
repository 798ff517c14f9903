import Foundation
import GatehouseClient
import GatehouseTransport
import HTTPTypes
import NIOCore
import Synchronization
import TestSupport
import Testing

/// Streamed request and response bodies over real sockets, curl as the client: the in-process test server's
/// `/stream/*` routes (StreamingFunctions.swift).
@Suite("StreamingEndToEnd", .serialized)
struct StreamingEndToEndTests {
    static let protocols = ["--http1.1", "--http2"]

    @Test(arguments: Self.protocols)
    func aStreamingEchoWritesBackEachPieceAsItReadsItBeyondMaxBodySize(protocolFlag: String) async throws {
        // 3 MiB: past the listener's 1 MiB maxBodySize, which a streaming route does not have, and past every
        // window and watermark, so both directions wait on each other.
        let bytes = downloadBytes(3 * 1024 * 1024)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/body"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        try await withTestServer { server in
            let result = try await server.curl(as: server.pki.client).run(
                server.url("/stream/echo"),
                [protocolFlag, "--data-binary", "@\(file)", "-H", "Content-Type: application/octet-stream"],
                timeout: 120
            )
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.status == 200)
            #expect(result.body == Data(bytes))
            let headers = result.headers.lowercased()
            #expect(!headers.contains("content-length"))
            if protocolFlag == "--http1.1" { #expect(headers.contains("transfer-encoding: chunked")) }
        }
    }

    /// A client that writes the HEADERS, the DATA and END_STREAM at once (this client does, for a body it has whole):
    /// the server reads them in one go, before the request is dispatched, and the body must still arrive complete
    /// and end — small (one DATA frame with END_STREAM) and over several frames.
    @Test(arguments: [10, 70_000])
    func anHTTP2BodyThatArrivesWithItsHeadersIsStreamedWhole(size: Int) async throws {
        try await withTestServer { server in
            let client = try HTTPClient(
                configuration: ClientConfiguration(
                    identity: .pem(
                        certificateChainFile: server.pki.client.chainFile,
                        privateKeyFile: server.pki.client.keyFile
                    ),
                    trustedCAFiles: [server.pki.rootCAFile],
                    httpVersion: .http2
                )
            )
            let body = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            do {
                let response = try await client.execute(.post, server.url("/stream/echo"), body: body)
                #expect(response.status == .ok)
                #expect(response.body == body, "echoed \(response.body.readableBytes) of \(size) bytes")
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }

    @Test(arguments: Self.protocols)
    func aStreamedResponseWithALengthArrivesWholeAndHeadRunsNoProducer(protocolFlag: String) async throws {
        try await withTestServer { server in
            let curl = server.curl(as: server.pki.client)
            let runs = StreamingProduce.producerRuns.load(ordering: .relaxed)
            let head = try await curl.run(server.url("/stream/produce?bytes=100000"), [protocolFlag, "-I"])
            #expect(head.status == 200)
            // With -I curl writes the head to the body file: nothing may follow it.
            let text = String(decoding: head.body, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/") && text.hasSuffix("\r\n\r\n"), "\(text)")
            #expect(head.headers.lowercased().contains("content-length: 100000"))
            #expect(StreamingProduce.producerRuns.load(ordering: .relaxed) == runs)

            let get = try await curl.run(server.url("/stream/produce?bytes=100000"), [protocolFlag])
            #expect(get.exitCode == 0, "\(get.stderr)")
            #expect(get.status == 200)
            #expect(get.body == Data(downloadBytes(100_000)))
            #expect(StreamingProduce.producerRuns.load(ordering: .relaxed) == runs + 1)
        }
    }

    @Test(arguments: Self.protocols)
    func aProducerThatFailsMidBodyBreaksTheResponseOff(protocolFlag: String) async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: server.pki.client).run(
                server.url("/stream/produce?bytes=1000000&failAt=300000"),
                [protocolFlag]
            )
            // The client sees a broken transfer (HTTP/1.1: the connection closes short of Content-Length;
            // HTTP/2: the stream is reset), never a complete response.
            #expect(result.exitCode != 0)
            #expect(result.body.count < 1_000_000)
            // The connection's other work goes on: a new request is answered.
            let next = try await server.curl(as: server.pki.client).run(server.url("/healthz"), [protocolFlag])
            #expect(next.status == 200)
        }
    }

    @Test(arguments: Self.protocols)
    func aClientThatGoesAwayMidUploadCancelsTheFunction(protocolFlag: String) async throws {
        let tag = UUID().uuidString
        try await withTestServer { server in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "curl", "-sS", "--max-time", "60", protocolFlag, "--cacert", server.pki.rootCAFile,
                "--cert", server.pki.client.chainFile, "--key", server.pki.client.keyFile,
                "-T", "-", server.url("/stream/probe?tag=\(tag)"),
            ]
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            input.fileHandleForWriting.write(Data(repeating: 0x61, count: 256 * 1024))
            let started = await eventually { StreamingProbe.received.withLock { ($0[tag] ?? 0) > 0 } }
            #expect(started)
            // The client goes away mid-upload: its connection closes.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let ended = await eventually { StreamingProbe.outcomes.withLock { $0[tag] != nil } }
            #expect(ended)
            let outcome = StreamingProbe.outcomes.withLock { $0[tag] }
            #expect(outcome == "cancelled", "the function saw: \(outcome ?? "nothing")")
        }
    }

    @Test func anHTTP2ResetMidUploadCancelsTheFunction() async throws {
        typealias Frames = HTTP2RawFrames
        let tag = UUID().uuidString
        try await withTestServer { server in
            let client = try RawTLSClient(
                port: server.port,
                certificateChainFile: server.pki.client.chainFile,
                keyFile: server.pki.client.keyFile,
                alpn: ["h2"]
            )
            let fields = Frames.requestFields(method: "PUT", path: "/stream/probe?tag=\(tag)")
            #expect(client.send(Frames.preface + Frames.settings() + Frames.headers(stream: 1, fields)))
            #expect(client.send(Frames.data(stream: 1, count: 1000)))
            let started = await eventually { StreamingProbe.received.withLock { $0[tag] == 1000 } }
            #expect(started)
            // RST_STREAM (CANCEL) mid-upload; the connection stays open.
            #expect(client.send(Frames.frame(.rstStream, stream: 1, payload: [0, 0, 0, 8])))
            let ended = await eventually { StreamingProbe.outcomes.withLock { $0[tag] != nil } }
            #expect(ended)
            let outcome = StreamingProbe.outcomes.withLock { $0[tag] }
            #expect(outcome == "cancelled", "the function saw: \(outcome ?? "nothing")")
        }
    }

    @Test func aClientThatStopsSendingAStreamedBodyIsCutOffByTheBodyTimeout() async throws {
        var limits = ConnectionLimits.patient
        limits.requestBodyTimeout = .seconds(1)
        let tag = UUID().uuidString
        try await withTestServer(limits: limits) { server in
            let client = try RawTLSClient(
                port: server.port,
                certificateChainFile: server.pki.client.chainFile,
                keyFile: server.pki.client.keyFile
            )
            #expect(
                client.send(
                    "PUT /stream/probe?tag=\(tag) HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n"
                )
            )
            // Nothing more is sent: the server answers 408 and closes, and the function's body breaks off.
            let answer = client.receiveText(timeout: 20, containing: "\r\n\r\n")
            #expect(answer.text.hasPrefix("HTTP/1.1 408"), "\(answer.text)")
            let ended = await eventually { StreamingProbe.outcomes.withLock { $0[tag] != nil } }
            #expect(ended)
            let outcome = StreamingProbe.outcomes.withLock { $0[tag] } ?? ""
            #expect(!outcome.hasPrefix("complete"), "the function saw: \(outcome)")
            #expect(StreamingProbe.received.withLock { $0[tag] } == 5)
        }
    }

    @Test func aClientThatTakesNothingOfAStreamedResponseForTheIdleTimeoutIsCutOff() async throws {
        typealias Frames = HTTP2RawFrames
        var limits = ConnectionLimits.patient
        limits.idleTimeout = .seconds(1)
        let total = 32 * 1024 * 1024
        try await withTestServer(limits: limits) { server in
            // HTTP/1.1: the connection closes short of the body.
            let client = try RawTLSClient(
                port: server.port,
                certificateChainFile: server.pki.client.chainFile,
                keyFile: server.pki.client.keyFile
            )
            #expect(client.send("GET /stream/produce?bytes=\(total) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            try await Task.sleep(for: .seconds(4))
            let rest = client.receive(timeout: 30)
            #expect(rest.closed)
            #expect(rest.bytes.count < total)

            // HTTP/2: the stream is reset (INTERNAL_ERROR); the client's 64 KiB window was never opened further.
            let h2 = try RawTLSClient(
                port: server.port,
                certificateChainFile: server.pki.client.chainFile,
                keyFile: server.pki.client.keyFile,
                alpn: ["h2"]
            )
            let fields = Frames.requestFields(path: "/stream/produce?bytes=\(total)")
            #expect(h2.send(Frames.preface + Frames.settings() + Frames.headers(stream: 1, fields, endStream: true)))
            var pending: [UInt8] = []
            let frames = h2.receiveFrames(timeout: 20, pending: &pending) { frames in
                frames.contains { $0.type == Frames.FrameType.rstStream.rawValue && $0.stream == 1 }
            }
            let reset = frames.frames.first { $0.type == Frames.FrameType.rstStream.rawValue && $0.stream == 1 }
            #expect(reset?.integer(at: 0) == 2)
        }
    }
}

/// The streaming routes of a `StreamingTestServer` process: what a gibibyte streamed through it costs in memory.
@Suite("StreamingMemory", .serialized)
struct StreamingMemoryTests {
    /// The most the server's RSS may grow while a body of any size streams through it.
    static let maxGrowthKiB = 32 * 1024

    @Test(arguments: StreamingEndToEndTests.protocols)
    func aGibibyteUploadToAStreamingRouteKeepsTheServersMemoryBounded(protocolFlag: String) async throws {
        let server = try StreamingServerProcess()
        defer { server.stop() }
        // Warm up (handshakes, buffers, the allocator's arenas), then measure from there.
        let warmUp = try await server.upload(bytes: 16 * 1024 * 1024, protocolFlag: protocolFlag)
        #expect(warmUp.stdout == "\(16 * 1024 * 1024)", "\(warmUp.stderr)")
        let baseline = try server.resources().residentKiB
        let sampler = PeakSampler(pid: server.process.pid)
        let gibibyte = 1024 * 1024 * 1024
        let upload = try await server.upload(bytes: gibibyte, protocolFlag: protocolFlag)
        let peak = sampler.stop()
        #expect(upload.stdout == "\(gibibyte)", "\(upload.stderr)")
        #expect(
            peak - baseline < Self.maxGrowthKiB,
            "RSS grew from \(baseline) KiB to a peak of \(peak) KiB during a 1 GiB upload"
        )
    }

    /// Issue 16's bound: a 1 GiB upload through a `gatehouse serve` gateway (an upstream route, its body streamed to
    /// the upstream as it arrives) to a streaming upstream must not grow the gateway's RSS by more than 32 MiB.
    @Test(arguments: StreamingEndToEndTests.protocols)
    func aGibibyteUploadThroughAGatewayKeepsTheGatewaysMemoryBounded(protocolFlag: String) async throws {
        let upstream = try StreamingServerProcess()
        defer { upstream.stop() }
        let pki = upstream.folder.pki
        let gateway = try ServerProcess(
            extraYAML: """
                  - { path: /up/*, methods: [POST, PUT], upstream: counter, policy: partners, stripPrefix: /up }
                upstreams:
                  counter:
                    url: https://127.0.0.1:\(upstream.port)
                    tls: { trustedCAs: [pki/ca.crt], certificate: \(pki.client.chainFile), privateKey: \(pki.client.keyFile), serverName: localhost }
                """
        )
        defer { _ = gateway.stop() }
        let warmUp = try await upstream.upload(
            bytes: 16 * 1024 * 1024,
            protocolFlag: protocolFlag,
            port: gateway.port,
            path: "/up/stream/count"
        )
        #expect(warmUp.stdout == "\(16 * 1024 * 1024)", "\(warmUp.stderr)")
        let baseline = try gateway.resources().residentKiB
        let sampler = PeakSampler(pid: gateway.pid)
        let gibibyte = 1024 * 1024 * 1024
        let upload = try await upstream.upload(
            bytes: gibibyte,
            protocolFlag: protocolFlag,
            port: gateway.port,
            path: "/up/stream/count"
        )
        let peak = sampler.stop()
        #expect(upload.stdout == "\(gibibyte)", "the upstream counted every byte: \(upload.stdout) \(upload.stderr)")
        #expect(
            peak - baseline < Self.maxGrowthKiB,
            "the gateway's RSS grew from \(baseline) KiB to a peak of \(peak) KiB during a 1 GiB upload"
        )
    }

    @Test func aClientThatStopsReadingALargeStreamedResponseLeavesTheServersMemoryBounded() async throws {
        let server = try StreamingServerProcess()
        defer { server.stop() }
        let baseline = try await Self.residentAfterWarmUpDownload(server, curlFlags: [])
        let pki = server.folder.pki
        let client = try RawTLSClient(
            port: server.port,
            certificateChainFile: pki.client.chainFile,
            keyFile: pki.client.keyFile
        )
        #expect(client.send("GET /stream/download?bytes=1073741824 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let first = client.receive(timeout: 10) { $0.count >= 64 * 1024 }
        #expect(first.bytes.count >= 64 * 1024)
        // The client stops reading: the producer must wait instead of queueing the gibibyte.
        try await Task.sleep(for: .seconds(3))
        let stalled = try server.resources().residentKiB
        #expect(
            stalled - baseline < Self.maxGrowthKiB,
            "RSS grew from \(baseline) KiB to \(stalled) KiB while a client did not read a 1 GiB response"
        )
        // The server still answers others meanwhile.
        let other = try await server.curl(["-o", "/dev/null", "-w", "%{http_code}"], "/stream/download?bytes=10")
        #expect(other.stdout == "200")
    }

    /// The server's resident memory after one 16 MiB streamed download (curl with `curlFlags`): the baseline the
    /// memory-bound tests measure growth from, with the streaming path's buffers and code already in use.
    static func residentAfterWarmUpDownload(_ server: StreamingServerProcess, curlFlags: [String]) async throws -> Int {
        let warmUp = try await server.curl(
            curlFlags + ["-o", "/dev/null", "-w", "%{size_download}"],
            "/stream/download?bytes=16777216"
        )
        #expect(warmUp.stdout == "16777216", "\(warmUp.stderr)")
        return try server.resources().residentKiB
    }

    /// A client that opens the most streams a connection allows, each for a large streamed response, with a flow-control
    /// window of zero: every producer would queue its stream's share; the connection's streams together queue at most
    /// `maxPendingOutputBytes` (1 MiB) instead of 100 × `maxQueuedResponseBytesPerStream` (1 MiB in this server), plus
    /// the piece each producer wrote last (64 KiB) and each stream's task and state: about 15 MiB in a debug build,
    /// against about 110 MiB without the connection's bound.
    @Test func anHTTP2ClientThatOpensManyStreamsAndTakesNothingLeavesTheServersMemoryBounded() async throws {
        typealias Frames = HTTP2RawFrames
        let server = try StreamingServerProcess()
        defer { server.stop() }
        let baseline = try await Self.residentAfterWarmUpDownload(server, curlFlags: ["--http2"])
        let pki = server.folder.pki
        let client = try RawTLSClient(
            port: server.port,
            certificateChainFile: pki.client.chainFile,
            keyFile: pki.client.keyFile,
            alpn: ["h2"]
        )
        #expect(client.negotiatedALPN == "h2")
        let initialWindowSize: UInt16 = 0x4
        var frames = Frames.preface + Frames.settings([(initialWindowSize, 0)])
        for index in 0..<100 {
            let fields = Frames.requestFields(path: "/stream/download-fresh?bytes=1073741824")
            frames += Frames.headers(stream: UInt32(2 * index + 1), fields, endStream: true)
        }
        #expect(client.send(frames))
        // The client never reads again: nothing can be sent, and the producers must wait.
        try await Task.sleep(for: .seconds(3))
        let stalled = try server.resources().residentKiB
        #expect(
            stalled - baseline < 24 * 1024,
            "RSS grew from \(baseline) KiB to \(stalled) KiB while 100 streams of one connection took nothing"
        )
        let other = try await server.curl(["-o", "/dev/null", "-w", "%{http_code}"], "/stream/download?bytes=10")
        #expect(other.stdout == "200")
    }
}

/// `StreamingTestServer` as a child process on a free loopback port, with the test PKI.
final class StreamingServerProcess {
    let folder: ConfigurationFolder
    let process: ChildProcess
    let port: Int

    init() throws {
        self.folder = try ConfigurationFolder()
        let pki = self.folder.pki
        self.process = try ChildProcess(
            try builtExecutable("StreamingTestServer"),
            [pki.server.chainFile, pki.server.keyFile, pki.rootCAFile],
            in: self.folder.path
        )
        let output = self.process.readOutput(timeout: 30) { $0.contains("\n") }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("port ") }),
            let port = Int(line.dropFirst(5)), port > 0
        else {
            _ = self.process.stop(signal: SIGKILL)
            throw ServerProcessError.notAccepting(output + self.process.readErrors(timeout: 1) { _ in true })
        }
        self.port = port
    }

    func stop() { _ = self.process.stop(signal: SIGKILL) }

    func resources() throws -> ProcessResources { try ProcessResources(pid: self.process.pid) }

    /// curl against `path` with the test client's certificate.
    func curl(_ arguments: [String], _ path: String) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/env", ["curl"] + self.curlArguments + arguments + [self.url(path)])
    }

    /// Uploads `bytes` zero bytes generated on the fly (`head -c`, never a file) to `/stream/count`; the answer is
    /// the count the server read.
    /// `port` and `path` send it elsewhere (through a gateway) with the same client certificate.
    func upload(
        bytes: Int,
        protocolFlag: String,
        port: Int? = nil,
        path: String = "/stream/count"
    ) async throws -> ProcessOutput {
        let url = "https://127.0.0.1:\(port ?? self.port)\(path)"
        let curl = (["curl"] + self.curlArguments + [protocolFlag, "-T", "-", url])
            .map { "'\($0)'" }.joined(separator: " ")
        return try await runProcess("/bin/sh", ["-c", "head -c \(bytes) /dev/zero | \(curl)"])
    }

    var curlArguments: [String] {
        let pki = self.folder.pki
        return [
            "-sS", "--max-time", "600", "--cacert", pki.rootCAFile, "--cert", pki.client.chainFile,
            "--key", pki.client.keyFile,
        ]
    }

    private func url(_ path: String) -> String { "https://127.0.0.1:\(self.port)\(path)" }
}

/// Samples a process's RSS every 20 ms on a thread of its own until stopped; keeps the peak.
final class PeakSampler: Sendable {
    private let state = Mutex((peak: 0, isRunning: true))
    private let done = ThreadResult<Int>()

    init(pid: Int32) {
        Thread.detachNewThread { [self] in
            while self.state.withLock({ $0.isRunning }) {
                if let resident = try? ProcessResources(pid: pid).residentKiB {
                    self.state.withLock { $0.peak = max($0.peak, resident) }
                }
                usleep(20_000)
            }
            self.done.set(self.state.withLock { $0.peak })
        }
    }

    /// Stops sampling; returns the peak RSS in KiB.
    func stop() -> Int {
        self.state.withLock { $0.isRunning = false }
        return self.done.wait()
    }
}
