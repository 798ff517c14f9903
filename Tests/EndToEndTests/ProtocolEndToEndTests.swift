import Foundation
import GatehouseTransport
import Synchronization
import TestSupport
import Testing

@Suite("HTTP/1.1 and HTTP/2 behaviour over real sockets")
struct ProtocolEndToEndTests {
    @Test(arguments: ["--http1.1", "--http2"])
    func headerBlockOver16KiBGets431(http: String) async throws {
        try await withTestServer { server in
            let big = String(repeating: "a", count: 20 * 1024)
            let result = try await server.curl(as: nil).run(server.url("/healthz"), [http, "-H", "X-Big: \(big)"])
            #expect(result.status == 431, "\(result.stderr)")
        }
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func bodyOverTheLimitGets413(http: String) async throws {
        try await withTestServer { server in
            let file = try temporaryFile(bytes: 2 * 1024 * 1024)
            let result = try await server.curl(as: nil).run(server.url("/echo"), [http, "--data-binary", "@\(file)"])
            #expect(result.status == 413, "\(result.stderr)")
        }
    }

    @Test func expectContinueUploadIsEchoed() async throws {
        try await withTestServer { server in
            let file = try temporaryFile(bytes: 64 * 1024)
            let result = try await server.curl(as: nil).run(
                server.url("/echo"),
                ["--http1.1", "-H", "Expect: 100-continue", "--data-binary", "@\(file)"]
            )
            #expect(result.status == 200)
            #expect(result.body == (try Data(contentsOf: URL(fileURLWithPath: file))))
        }
    }

    @Test func malformedRequestGets400AndClose() async throws {
        try await withTestServer { server in
            let reply = try await rawTLSExchange(
                port: server.port,
                caFile: server.pki.rootCAFile,
                send: "GARBAGE\r\n\r\n"
            )
            #expect(reply.hasPrefix("HTTP/1.1 400"), "\(reply)")
            #expect(reply.lowercased().contains("connection: close"))
        }
    }

    @Test func fiveMiBUploadAndDownloadOverHTTP2() async throws {
        var limits = ConnectionLimits.patient
        limits.maxBodySize = 8 * 1024 * 1024
        try await withTestServer(limits: limits) { server in
            let size = 5 * 1024 * 1024
            let file = try temporaryFile(bytes: size)
            let upload = try await server.curl(as: nil).run(
                server.url("/echo"),
                ["--http2", "--data-binary", "@\(file)"]
            )
            #expect(upload.status == 200)
            #expect(upload.httpVersion == "2")
            #expect(upload.body == (try Data(contentsOf: URL(fileURLWithPath: file))))

            let download = try await server.curl(as: nil).run(server.url("/download?bytes=\(size)"), ["--http2"])
            #expect(download.status == 200)
            #expect(download.body.count == size)
            #expect(download.body == Data(downloadBytes(size)))
        }
    }

    @Test func hundredConcurrentStreamsOnOneHTTP2Connection() async throws {
        try await withTestServer { server in
            let url = server.url("/concurrent?expect=100")
            let arguments =
                [
                    "-sS", "--http2", "--parallel", "--parallel-max", "100", "--cacert", server.pki.rootCAFile,
                    "-w", "status=%{http_code} connects=%{num_connects}\\n",
                ] + Array(repeating: url, count: 100)
            let output = try await runProcess("/usr/bin/env", ["curl"] + arguments)
            let lines = output.stdout.split(separator: "\n")
            // Each transfer prints the probe's body (the peak of requests in flight at once), then curl's line.
            let peaks = lines.filter { $0.hasPrefix("peak=") }
            let statuses = lines.filter { $0.hasPrefix("status=") }
            #expect(statuses.count == 100, "\(output.stderr)")
            #expect(statuses.allSatisfy { $0.hasPrefix("status=200 ") })
            #expect(peaks.count == 100)
            #expect(peaks.allSatisfy { $0 == "peak=100" }, "all 100 streams were in flight at once")
            let connects = statuses.compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }.reduce(0, +)
            #expect(connects == 1, "all streams share one connection")
        }
    }

    @Test func keepAliveReusesTheConnection() async throws {
        try await withTestServer { server in
            let url = server.url("/connection")
            let output = try await runProcess(
                "/usr/bin/env",
                ["curl", "-sS", "--http1.1", "--cacert", server.pki.rootCAFile, "-w", "\\n", url, url, url]
            )
            let ids = output.stdout.split(separator: "\n").map { $0.split(separator: " ").first ?? "" }
            #expect(ids.count == 3)
            #expect(Set(ids).count == 1, "\(output.stdout)")
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withTestServer { server in
            let requests =
                "GET /slow?ms=300&tag=first HTTP/1.1\r\nHost: localhost\r\n\r\n"
                + "GET /slow?ms=1&tag=second HTTP/1.1\r\nHost: localhost\r\n\r\n"
                + "GET /slow?ms=1&tag=third HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let reply = try await rawTLSExchange(port: server.port, caFile: server.pki.rootCAFile, send: requests)
            let first = try #require(reply.range(of: "done first"))
            let second = try #require(reply.range(of: "done second"))
            let third = try #require(reply.range(of: "done third"))
            #expect(first.lowerBound < second.lowerBound && second.lowerBound < third.lowerBound)
        }
    }

    /// A chain that never suspends is answered on the event loop without a Swift task; one that may suspend
    /// (an ordinary async function) runs in a task.
    @Test(arguments: ["--http1.1", "--http2"])
    func aSynchronousChainIsAnsweredWithoutATask(http: String) async throws {
        try await withTestServer { server in
            let fast = try await server.curl(as: nil).run(server.url("/task-probe"), [http])
            #expect(fast.status == 200)
            #expect(fast.text == "no task")
            let slow = try await server.curl(as: nil).run(server.url("/task-probe-async"), [http])
            #expect(slow.status == 200)
            #expect(slow.text == "task")
        }
    }

    @Test(arguments: [("--http2", "2", "HTTP/2 h2"), ("--http1.1", "1.1", "HTTP/1.1 http/1.1")])
    func alpnChoosesTheProtocol(flag: String, version: String, facts: String) async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: nil).run(server.url("/connection"), [flag])
            #expect(result.httpVersion == version)
            #expect(result.text.hasSuffix(facts))
        }
    }

    @Test func clientWithoutALPNGetsHTTP11() async throws {
        try await withTestServer { server in
            let reply = try await rawTLSExchange(
                port: server.port,
                caFile: server.pki.rootCAFile,
                send: "GET /connection HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            #expect(reply.hasPrefix("HTTP/1.1 200"))
            #expect(reply.hasSuffix("HTTP/1.1 -"))
        }
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func gracefulShutdownLetsAnInFlightRequestFinish(http: String) async throws {
        try await withTestServer { server in
            let tag = "shutdown-\(UUID().uuidString)"
            async let slow = server.curl(as: nil).run(server.url("/slow?ms=1500&tag=\(tag)"), [http])
            // Wait until the request is being handled, then shut down while it is in flight.
            for _ in 0..<3000 where !SlowRequests.started.withLock({ $0.contains(tag) }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            // Says which half failed if this ever flakes again (seen under heavy machine load only).
            let started = SlowRequests.started.withLock { $0.contains(tag) }
            try #require(started, "the slow request never reached its function")
            await server.server.shutdown()
            let result = try await slow
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.text == "done \(tag)")
            let after = try await server.curl(as: nil).run(server.url("/healthz"))
            #expect(after.exitCode == 7, "the listener is closed: \(after.stderr)")
        }
    }
}

/// Writes `bytes` random bytes to a new temporary file and returns its path.
func temporaryFile(bytes: Int) throws -> String {
    var generator = SystemRandomNumberGenerator()
    let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString)").path
    try data.write(to: URL(fileURLWithPath: path))
    return path
}

/// Sends `text` over a real TLS connection made by `openssl s_client` (no ALPN, no client certificate) and
/// returns everything the server sent until it closed the connection.
func rawTLSExchange(port: Int, caFile: String, send text: String) async throws -> String {
    let output = try await runProcess(
        "/usr/bin/env",
        [
            "timeout", "20", "openssl", "s_client", "-quiet", "-ign_eof", "-connect", "127.0.0.1:\(port)",
            "-CAfile", caFile, "-verify_return_error",
        ],
        input: Data(text.utf8)
    )
    return output.stdout
}
