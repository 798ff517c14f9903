import GatehouseTransport
import TestSupport
import Testing

@Suite("gatehouse call against a real server")
struct CallCommandTests {
    private static let httpFlags = ["--http2", "--http1.1"]

    @Test(arguments: httpFlags)
    func pemIdentityGetsHelloAndExitsZero(http: String) async throws {
        try await withTestServer { server in
            let pki = server.pki
            let result = try await runProcess(
                try builtExecutable("gatehouse"),
                [
                    "call", server.url("/api/hello?name=call"), "--cert", pki.client.chainFile, "--key",
                    pki.client.keyFile,
                    "--cacert", pki.rootCAFile, http,
                ]
            )
            #expect(result.exitCode == 0, "\(result.stderr)")
            let statusLine = http == "--http2" ? "HTTP/2 200" : "HTTP/1.1 200 OK"
            #expect(result.stdout == "\(statusLine)\nHello, call.")
        }
    }

    @Test(arguments: httpFlags)
    func pfxIdentityGetsHelloAndExitsZero(http: String) async throws {
        try await withTestServer { server in
            let pki = server.pki
            let result = try await runProcess(
                try builtExecutable("gatehouse"),
                [
                    "call", server.url("/api/hello?name=call"), "--pfx", pki.clientPFXFile, "--password",
                    pki.clientPFXPassword, "--cacert", pki.rootCAFile, http, "-v",
                ]
            )
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout.hasSuffix("\nHello, call."))
            #expect(result.stderr.contains("ALPN \(http == "--http2" ? "h2" : "http/1.1")"), "\(result.stderr)")
        }
    }

    @Test func noCertificateGets403AndExitsOne() async throws {
        try await withTestServer { server in
            let result = try await runProcess(
                try builtExecutable("gatehouse"),
                ["call", server.url("/api/hello"), "--cacert", server.pki.rootCAFile, "--http1.1"]
            )
            #expect(result.exitCode == 1)
            #expect(result.stdout.hasPrefix("HTTP/1.1 403 Invalid client certificate\n"), "\(result.stdout)")
        }
    }

    @Test func requireModeServerRefusalIsExplained() async throws {
        try await withTestServer(mode: .require) { server in
            let stranger = server.pki.strangerClient
            let result = try await runProcess(
                try builtExecutable("gatehouse"),
                [
                    "call", server.url("/healthz"), "--cert", stranger.chainFile, "--key", stranger.keyFile,
                    "--cacert", server.pki.rootCAFile,
                ]
            )
            #expect(result.exitCode == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("the server refused the client certificate: TLS alert"), "\(result.stderr)")
        }
    }

    @Test(arguments: [
        ["--cert", "a.crt"],
        ["--pfx", "a.pfx", "--cert", "a.crt", "--key", "a.key"],
        ["--http1.1", "--http2"],
    ])
    func invalidArgumentsAreRejected(arguments: [String]) async throws {
        let result = try await runProcess(
            try builtExecutable("gatehouse"),
            ["call", "https://127.0.0.1:1/"] + arguments
        )
        #expect(result.exitCode == 64, "\(result.stderr)")
    }

    /// The URL's host is checked against the server's names: the test server's certificate has DNS:localhost,
    /// IP:127.0.0.1 and IP:::1, so those pass; a shorthand address the resolver would also reach is refused before
    /// connecting, and --insecure (no verification at all) stays an explicit choice.
    @Test func theURLHostIsCheckedAgainstTheServerCertificate() async throws {
        try await withTestServer { server in
            let pki = server.pki
            for host in ["127.0.0.1", "localhost"] {
                let result = try await runProcess(
                    try builtExecutable("gatehouse"),
                    ["call", "https://\(host):\(server.port)/healthz", "--cacert", pki.rootCAFile]
                )
                #expect(result.exitCode == 0, "\(host): \(result.stderr)")
            }
            let shorthand = try await runProcess(
                try builtExecutable("gatehouse"),
                ["call", "https://127.1:\(server.port)/healthz", "--cacert", pki.rootCAFile, "--insecure"]
            )
            #expect(shorthand.exitCode == 1)
            #expect(shorthand.stderr.contains("127.1 is not an IP address in dotted-quad form"), "\(shorthand.stderr)")
            let untrusted = try await runProcess(
                try builtExecutable("gatehouse"),
                ["call", "https://127.0.0.1:\(server.port)/healthz", "--cacert", pki.strangerCAFile]
            )
            #expect(untrusted.exitCode == 1)
            #expect(
                untrusted.stderr.hasPrefix(
                    "gatehouse call: 127.0.0.1:\(server.port): the server's certificate is not trusted: it does not "
                        + "verify against the trusted CAs (unable to get local issuer certificate) (--cacert names"
                ),
                "\(untrusted.stderr)"
            )
            let insecure = try await runProcess(
                try builtExecutable("gatehouse"),
                ["call", "https://127.0.0.1:\(server.port)/healthz", "--cacert", pki.strangerCAFile, "--insecure"]
            )
            #expect(insecure.exitCode == 0, "\(insecure.stderr)")
        }
    }
}
