import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseClient
import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import InMemoryTracing
import Logging
import NIOCore
import TestSupport
import Testing
import Tracing

/// A server span per request, continuing the caller's trace, with the HTTP semantic attributes, the client
/// certificate's subject and the policy's decision.
@Suite("Request tracing")
struct RequestTracingEndToEndTests {
    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func everyRequestIsAServerSpanThatContinuesTheCallersTrace(
        _ version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        let pki = try TestPKI.shared()
        let logger = TestServer.quietLogger
        let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: [pki.rootCAFile], logger: logger)
        var routes = RouterBuilder()
        try routes.add("/api/hello/{name}", function: Hello(), middleware: [authenticator.middleware()])
        let tracer = InMemoryTracer()
        let tls = TLSConfiguration(
            identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
            clientCertificateMode: .request
        )
        var limits = ConnectionLimits()
        limits.handshakeTimeout = .seconds(60)
        let server = Server(
            configuration: ServerConfiguration(
                listeners: [ListenerConfiguration(name: "public", host: "127.0.0.1", port: 0, tls: tls, limits: limits)]
            ),
            responder: routes.build(),
            logger: logger,
            tracer: tracer
        )
        let port = try await server.start().first?.port ?? 0
        let partner = try RequestMetricsEndToEndTests.client(version, pki: pki, identity: pki.client)
        let stranger = try RequestMetricsEndToEndTests.client(version, pki: pki, identity: pki.strangerClient)
        var parent = HTTPFields()
        parent[HTTPField.Name(InMemoryTracer.traceIDKey)!] = "trace-from-caller"
        parent[HTTPField.Name(InMemoryTracer.spanIDKey)!] = "span-of-caller"
        let base = "https://127.0.0.1:\(port)"
        let allowed = try await partner.execute(.get, base + "/api/hello/x", headerFields: parent)
        let refused = try await stranger.execute(.get, base + "/api/hello/y")
        let missing = try await partner.execute(.get, base + "/nowhere")
        for client in [partner, stranger] { await client.shutdown() }
        await server.shutdown()
        #expect(allowed.head.status.code == 200)
        #expect(refused.head.status.code == 403)
        #expect(missing.head.status.code == 404)

        let spans = tracer.finishedSpans
        #expect(spans.count == 3)
        #expect(spans.allSatisfy { $0.kind == .server })
        let first = try #require(spans.first { $0.attributes["url.path"]?.toSpanAttribute() == "/api/hello/x" })
        #expect(first.traceID == "trace-from-caller", "continues the trace the request's headers carry")
        #expect(first.parentSpanID == "span-of-caller")
        #expect(first.operationName == "GET /api/hello/{name}")
        #expect(first.attributes["http.request.method"]?.toSpanAttribute() == "GET")
        #expect(first.attributes["http.route"]?.toSpanAttribute() == "/api/hello/{name}")
        #expect(first.attributes["http.response.status_code"]?.toSpanAttribute() == 200)
        #expect(first.attributes["tls.client.subject"]?.toSpanAttribute() == .string(pki.client.certificate.subject))
        #expect(first.attributes["gatehouse.decision"]?.toSpanAttribute() == "allowed")
        #expect(first.attributes["gatehouse.reason"]?.toSpanAttribute() == "ok")

        let second = try #require(spans.first { $0.attributes["url.path"]?.toSpanAttribute() == "/api/hello/y" })
        #expect(second.traceID != "trace-from-caller", "a request without trace headers starts a trace")
        #expect(second.parentSpanID == nil)
        #expect(second.attributes["http.response.status_code"]?.toSpanAttribute() == 403)
        #expect(second.attributes["gatehouse.decision"]?.toSpanAttribute() == "refused")
        #expect(second.attributes["gatehouse.reason"]?.toSpanAttribute() == "untrusted")
        #expect(
            second.attributes["tls.client.subject"]?.toSpanAttribute()
                == .string(pki.strangerClient.certificate.subject)
        )

        let third = try #require(spans.first { $0.attributes["url.path"]?.toSpanAttribute() == "/nowhere" })
        #expect(third.attributes["http.route"] == nil, "no route matched")
        #expect(third.attributes["http.response.status_code"]?.toSpanAttribute() == 404)
        #expect(third.attributes["gatehouse.decision"]?.toSpanAttribute() == "none")
    }
}
