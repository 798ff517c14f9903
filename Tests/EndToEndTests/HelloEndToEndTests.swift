import Foundation
import TestSupport
import Testing

/// HTTP version and TLS version pairs every mutual-TLS case runs under.
let protocolMatrix: [(http: String, tls: String)] = [
    ("--http1.1", "1.2"), ("--http1.1", "1.3"), ("--http2", "1.2"), ("--http2", "1.3"),
]

/// curl arguments pinning the TLS version.
func tlsArguments(_ version: String) -> [String] {
    ["--tlsv\(version)", "--tls-max", version]
}

@Suite("The reference scenario over real sockets, curl and OpenSSL")
struct HelloEndToEndTests {
    @Test(arguments: protocolMatrix)
    func noCertificateGets403WithTheReason(http: String, tls: String) async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: nil).run(
                server.url("/api/hello?name=bench"),
                [http] + tlsArguments(tls)
            )
            #expect(result.status == 403)
            #expect(result.headers.lowercased().contains("content-type: application/problem+json"))
            #expect(result.text.contains("\"title\":\"Invalid client certificate\""))
            #expect(result.text.contains("\"status\":403"))
            if http == "--http1.1" {
                #expect(result.headers.hasPrefix("HTTP/1.1 403 Invalid client certificate\r\n"))
            }
        }
    }

    @Test(arguments: protocolMatrix)
    func validCertificateGetsHello(http: String, tls: String) async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: server.pki.client).run(
                server.url("/api/hello?name=bench"),
                [http] + tlsArguments(tls)
            )
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.text == "Hello, bench.")
            #expect(result.headers.lowercased().contains("content-type: text/plain; charset=utf-8"))
            #expect(result.httpVersion == (http == "--http2" ? "2" : "1.1"))
        }
    }

    @Test(arguments: ["/api/hello", "/api/hello?name=", "/api/hello?name"])
    func missingOrEmptyNameGreetsTheWorld(path: String) async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: server.pki.client).run(server.url(path))
            #expect(result.text == "Hello, World.")
        }
    }

    @Test func percentEncodedUTF8Name() async throws {
        try await withTestServer { server in
            let curl = server.curl(as: server.pki.client)
            let result = try await curl.run(server.url("/api/hello?name=J%C3%BCrgen+M%C3%BCller"))
            #expect(result.text == "Hello, Jürgen Müller.")
        }
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func healthNeedsNoCertificate(http: String) async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: nil).run(server.url("/healthz"), [http])
            #expect(result.status == 200)
            #expect(result.text == "ok")
        }
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func unknownPathIs404AndWrongMethodIs405WithoutACertificate(http: String) async throws {
        try await withTestServer { server in
            let curl = server.curl(as: nil)
            let missing = try await curl.run(server.url("/api/nothing"), [http])
            #expect(missing.status == 404)
            let wrongMethod = try await curl.run(server.url("/api/hello"), [http, "-X", "DELETE"])
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers.lowercased().contains("allow: get, head"))
        }
    }

    @Test(arguments: [TestPKI.Client.strangerClient, .expiredClient, .notYetValidClient, .selfSignedClient])
    func certificatesThatDoNotVerifyGet403(client: TestPKI.Client) async throws {
        try await withTestServer { server in
            let identity = server.pki.identity(client)
            let result = try await server.curl(as: identity).run(server.url("/api/hello?name=x"))
            #expect(result.status == 403, "\(result.stderr)")
            #expect(result.text.contains("Invalid client certificate"))
        }
    }

    @Test func certificateSignedByTheRootWithoutIntermediateIsAccepted() async throws {
        try await withTestServer { server in
            let result = try await server.curl(as: server.pki.rootClient).run(server.url("/api/hello?name=root"))
            #expect(result.text == "Hello, root.")
        }
    }

    @Test func headAnswersWithoutABody() async throws {
        try await withTestServer { server in
            let reply = try await rawTLSExchange(
                port: server.port,
                caFile: server.pki.rootCAFile,
                send: "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(reply.lowercased().contains("content-length: 2\r\n"))
            #expect(reply.hasSuffix("\r\n\r\n"), "no body after the head: \(reply)")
        }
    }

    @Test func ipv6Loopback() async throws {
        try await withTestServer(host: "::1") { server in
            let result = try await server.curl(as: server.pki.client).run(
                server.url("/api/hello?name=six"),
                ["--http2"]
            )
            #expect(result.text == "Hello, six.")
        }
    }
}
