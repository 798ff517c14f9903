import Foundation
import GatehouseAuth
import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import Logging
import NIOCore
import TestSupport
import Testing

/// A real Gatehouse server on a loopback port, with the reference routes and a few test functions.
struct TestServer: Sendable {
    let server: Server
    let port: Int
    let host: String
    let pki: TestPKI

    /// `https://127.0.0.1:PORT` + `path` (brackets for IPv6).
    func url(_ path: String) -> String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "https://\(host):\(self.port)\(path)"
    }

    /// curl presenting `identity`'s chain and key, or no certificate.
    func curl(as identity: TestIdentity?) -> Curl {
        Curl(caFile: self.pki.rootCAFile, clientCertificate: identity.map { ($0.chainFile, $0.keyFile) })
    }

    /// A logger that drops everything, so test output stays readable.
    static let quietLogger = Logger(label: "e2e") { _ in SwiftLogNoOpLogHandler() }
}

/// Starts a server, runs `body` against it, and shuts it down (also when `body` throws).
///
/// Routes: `/api/hello` behind the client-certificate authenticator (trusting the test root CA), `/healthz`,
/// `POST /echo`, `/download?bytes=N`, `/slow?ms=N&tag=T`, `/connection`, `/concurrent?expect=N`, and the streaming
/// `/stream/echo`, `/stream/produce?bytes=N`, `/stream/probe?tag=T` (StreamingFunctions.swift).
func withTestServer(
    mode: ClientCertificateMode = .request,
    limits: ConnectionLimits = .patient,
    host: String = "127.0.0.1",
    shutdownGracePeriod: Duration = .seconds(10),
    _ body: (TestServer) async throws -> Void
) async throws {
    let pki = try TestPKI.shared()
    let logger = TestServer.quietLogger
    let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: [pki.rootCAFile], logger: logger)
    var routes = RouterBuilder()
    try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
    try routes.add("/healthz", function: Health())
    try routes.add("/echo", methods: [.post, .put], function: Echo())
    try routes.add("/download", function: Download())
    try routes.add("/slow", function: Slow())
    try routes.add("/connection", function: ConnectionFacts())
    try routes.add("/task-probe", function: TaskProbe())
    try routes.add("/task-probe-async", function: AsyncTaskProbe())
    try routes.add("/concurrent", function: ConcurrencyProbe())
    try routes.add("/stream/echo", methods: [.post, .put], function: StreamingEcho())
    try routes.add("/stream/produce", function: StreamingProduce())
    try routes.add("/stream/probe", methods: [.put], function: StreamingProbe())
    let tls = TLSConfiguration(
        identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
        clientCertificateMode: mode,
        trustedCAFiles: [pki.rootCAFile]
    )
    let server = Server(
        configuration: ServerConfiguration(
            listeners: [ListenerConfiguration(host: host, port: 0, tls: tls, limits: limits)],
            shutdownGracePeriod: shutdownGracePeriod
        ),
        responder: [RequestLogger(logger: logger) as any Middleware].chained(to: routes.build()),
        logger: logger
    )
    let addresses = try await server.start()
    let port = try #require(addresses.first?.port)
    let testServer = TestServer(server: server, port: port, host: host, pki: pki)
    do {
        try await body(testServer)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

extension ConnectionLimits {
    /// The defaults with a 60 s TLS handshake timeout: the suite runs dozens of handshakes at once on a small
    /// machine, and a starved handshake must not be cut off as if it were a slowloris.
    static var patient: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.handshakeTimeout = .seconds(60)
        return limits
    }
}
