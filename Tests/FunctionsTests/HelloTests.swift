import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import Testing

func makeContext() -> RequestContext {
    let tls = TLSSessionInfo(
        protocolVersion: "TLSv1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        alpn: nil,
        peerCertificates: [],
        verifyResult: nil,
        isResumed: false
    )
    let info = ConnectionInfo(id: 1, remoteAddress: nil, localAddress: nil, httpVersion: .http1_1, tls: tls)
    return RequestContext(connection: info, connectionStore: ConnectionStore())
}

func get(_ function: some Function & Sendable, _ path: String) async throws -> Response {
    let request = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: path))
    return try await function.respond(to: request, context: makeContext())
}

@Suite struct HelloTests {
    @Test(arguments: [
        ("/api/hello?name=bench", "Hello, bench."),
        ("/api/hello", "Hello, World."),
        ("/api/hello?name=", "Hello, World."),
        ("/api/hello?name=J%C3%BCrgen", "Hello, Jürgen."),
        ("/api/hello?name=Ada+Lovelace", "Hello, Ada Lovelace."),
        ("/api/hello?other=1&name=x", "Hello, x."),
        ("/api/hello?name=a-rather-long-client-name-01", "Hello, a-rather-long-client-name-01."),
        ("/api/hello?name=%F0%9F%91%8B", "Hello, 👋."),
    ])
    func greets(path: String, expected: String) async throws {
        let response = try await get(Hello(), path)
        #expect(response.status == .ok)
        #expect(response.head.headerFields[.contentType] == "text/plain; charset=utf-8")
        #expect(String(buffer: response.body) == expected)
    }

    @Test func healthSaysOK() async throws {
        let response = try await get(Health(), "/healthz")
        #expect(response.status == .ok)
        #expect(String(buffer: response.body) == "ok")
    }
}
