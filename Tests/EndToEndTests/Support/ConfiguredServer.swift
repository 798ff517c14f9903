import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import GatehouseRouting
import GatehouseTransport
import Logging
import NIOCore
import ServiceLifecycle
import TestSupport
import Testing

/// `GET /connection`-style function for configured servers: answers the connection's id.
struct ConnectionID: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        .text(String(context.connection.id))
    }
}

/// A folder laid out like an operator's: `pki/` with the server's chain and key, the root CA, and an allow-list
/// folder `pki/clients/` holding the test client's certificate; `gatehouse.yaml` written by the test.
struct ConfigurationFolder {
    let path: String
    let pki: TestPKI

    init() throws {
        self.pki = try TestPKI.shared()
        self.path = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: self.path + "/pki/clients", withIntermediateDirectories: true)
        try self.copy(self.pki.server.chainFile, to: "pki/server.crt")
        try self.copy(self.pki.server.keyFile, to: "pki/server.key")
        try self.copy(self.pki.rootCAFile, to: "pki/ca.crt")
        try self.copy(self.pki.client.certificateFile, to: "pki/clients/client.crt")
    }

    /// Issues a new certificate and key for the server's name from the test intermediate CA and writes them as
    /// `prefix.crt` (with the intermediate) and `prefix.key`, as a renewal would; returns the new certificate.
    func writeRenewedServerCertificate(as prefix: String) throws -> Certificate {
        let spec = CertificateSpec(
            subject: [.organization("Gatehouse Tests"), .commonName("localhost renewed")],
            kind: .server,
            sans: [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1")],
            notBefore: Date().addingTimeInterval(-3600)
        )
        let issued = try self.pki.intermediateAuthority.issue(spec)
        try [issued.certificate, self.pki.intermediateCA].pemString.write(
            toFile: self.path + "/" + prefix + ".crt",
            atomically: true,
            encoding: .utf8
        )
        try Data(issued.key.pemBytes()).write(to: URL(fileURLWithPath: self.path + "/" + prefix + ".key"))
        return issued.certificate
    }

    func copy(_ source: String, to name: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: self.path + "/" + name)
    }

    /// Writes `gatehouse.yaml` (atomically, as editors and config management do) and returns its path.
    @discardableResult
    func write(_ yaml: String) throws -> String {
        let file = self.path + "/gatehouse.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A configuration with one listener on a free port and `policy` in front of `/api/hello`; with
    /// `testRoutes`, also `/connection` and `/slow` (functions only ``withConfiguredServer`` registers).
    static func yaml(policy: String, testRoutes: Bool = true) -> String {
        let routes =
            testRoutes
            ? "\n  - { path: /connection, function: connection, policy: partners }"
                + "\n  - { path: /slow, function: slow, policy: partners }"
            : ""
        return """
            listeners:
              - host: 127.0.0.1
                port: 0
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
                limits: { handshakeTimeout: 60s }
            policies:
              partners:
            \(policy.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            routes:
              - { path: /api/hello, function: hello, policy: partners }\(routes)
              - { path: /healthz, function: health }
            """
    }
}

/// Runs `file` as `gatehouse serve --config` would (server, watcher, SIGHUP listener), runs `body` with the first
/// listener's port (``withConfiguredListeners(_:logger:_:)`` gives every port), stops it.
func withConfiguredServer(
    _ file: String,
    authenticators: AuthenticatorRegistry = AuthenticatorRegistry(),
    logger: Logger = TestServer.quietLogger,
    _ body: (GatehouseService, Int) async throws -> Void
) async throws {
    try await withConfiguredListeners(file, authenticators: authenticators, logger: logger) { service, ports in
        try await body(service, ports[0])
    }
}

/// Like ``withConfiguredServer(_:logger:_:)``, giving `body` every listener's port in listener order.
func withConfiguredListeners(
    _ file: String,
    authenticators: AuthenticatorRegistry = AuthenticatorRegistry(),
    logger: Logger = TestServer.quietLogger,
    _ body: (GatehouseService, [Int]) async throws -> Void
) async throws {
    var functions = FunctionRegistry.builtIn
    functions.register("connection", ConnectionID())
    functions.register("slow", Slow())
    let service = try GatehouseService(
        configurationFile: file,
        functions: functions,
        authenticators: authenticators,
        logger: logger
    )
    let ports = try await service.server.start().compactMap(\.port)
    try #require(!ports.isEmpty)
    let group = ServiceGroup(services: await service.services(), gracefulShutdownSignals: [], logger: logger)
    let running = Task { try await group.run() }
    do {
        try await body(service, ports)
    } catch {
        await group.triggerGracefulShutdown()
        _ = await running.result
        throw error
    }
    await group.triggerGracefulShutdown()
    _ = await running.result
}

/// An HTTP/2 client presenting the test client certificate; it keeps one connection for every request.
func partnerClient(_ pki: TestPKI) throws -> HTTPClient {
    try HTTPClient(
        configuration: ClientConfiguration(
            identity: .pem(certificateChainFile: pki.client.chainFile, privateKeyFile: pki.client.keyFile),
            trustedCAFiles: [pki.rootCAFile],
            httpVersion: .http2
        )
    )
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<Int(seconds * 20) {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
