import GatehouseAuth
import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import Logging
import NIOCore
import TestSupport
import Testing

/// A real Gatehouse server on a loopback port for the client to call.
///
/// Routes: `/api/hello` behind the client-certificate authenticator (trusting the test root CA), `POST /echo`,
/// `/connection` (answers the server's connection id).
struct ClientTestServer: Sendable {
    let port: Int
    let pki: TestPKI

    /// `https://127.0.0.1:PORT` + `path`.
    func url(_ path: String) -> String { "https://127.0.0.1:\(self.port)\(path)" }

    /// `https://HOST:PORT` + `path`, with brackets around an IPv6 address.
    func url(host: String, _ path: String) -> String {
        "https://\(host.contains(":") ? "[\(host)]" : host):\(self.port)\(path)"
    }
}

/// `POST /echo`: answers with the request body.
private struct Echo: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        Response(status: .ok, headerFields: [.contentType: "application/octet-stream"], body: request.body)
    }
}

/// `GET /connection`: answers the id of the connection that carried the request.
private struct ConnectionID: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        .text("\(context.connection.id)")
    }
}

/// Starts a server (``GatehouseTestServer``), runs `body` against it, and shuts it down (also when `body` throws).
///
/// - Parameters:
///   - identity: the server's certificate and key (default: the test PKI's server, for localhost, 127.0.0.1 and ::1).
///   - host: the address to listen on.
func withClientTestServer(
    mode: ClientCertificateMode = .request,
    identity: TLSIdentity? = nil,
    host: String = "127.0.0.1",
    _ body: (ClientTestServer) async throws -> Void
) async throws {
    let pki = try TestPKI.shared()
    let logger = Logger(label: "client-tests") { _ in SwiftLogNoOpLogHandler() }
    let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: [pki.rootCAFile], logger: logger)
    var routes = RouterBuilder()
    try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
    try routes.add("/echo", methods: [.post, .put], function: Echo())
    try routes.add("/connection", function: ConnectionID())
    var limits = ConnectionLimits()
    limits.maxBodySize = 8 * 1024 * 1024
    limits.handshakeTimeout = .seconds(60)  // many handshakes at once on a small machine must not time out
    try await GatehouseTestServer.withServer(
        router: routes.build(),
        pki: pki,
        host: host,
        clientCertificateMode: mode,
        serverIdentity: identity,
        limits: limits,
        logger: logger
    ) { server in
        try await body(ClientTestServer(port: server.port, pki: pki))
    }
}
