import GatehouseAuth
import Foundation
import GatehouseFunctions
import Logging
import NIOCore
import GatehouseRouting
import TestSupport
import Testing
import GatehouseTransport

/// Starts a server whose `/api/hello` and `/api/whoami` sit behind `authenticator`, runs `body`, shuts down.
func withPolicyTestServer(
    authenticator: ClientCertificateAuthenticator,
    _ body: (TestServer) async throws -> Void
) async throws {
    let pki = try TestPKI.shared()
    let logger = TestServer.quietLogger
    var routes = RouterBuilder()
    try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
    try routes.add("/api/whoami", function: WhoAmI(), middleware: [AuthenticationMiddleware(authenticator)])
    let tls = TLSConfiguration(
        identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
        clientCertificateMode: .request,
        trustedCAFiles: [pki.rootCAFile]
    )
    let server = Server(
        configuration: ServerConfiguration(listeners: [ListenerConfiguration(host: "127.0.0.1", port: 0, tls: tls, limits: .patient)]),
        responder: [RequestLogger(logger: logger) as any Middleware].chained(to: routes.build()),
        logger: logger
    )
    let addresses = try await server.start()
    let port = try #require(addresses.first?.port)
    let testServer = TestServer(server: server, port: port, host: "127.0.0.1", pki: pki)
    do {
        try await body(testServer)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}
