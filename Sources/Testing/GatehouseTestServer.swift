import Foundation
public import GatehouseClient
public import GatehouseConfiguration
public import GatehouseTransport
public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real Gatehouse server on an ephemeral loopback port, for end-to-end tests of functions, middleware and
/// configurations: real sockets, real TLS, the server certificate and CA of a ``TestPKI``.
///
/// Serve a router (or any ``Responder``) and call it with a client certificate:
///
/// ```swift
/// @Test func greetsTheCaller() async throws {
///     let pki = try TestPKI.shared()
///     let routes = try makeRoutes(trustedCAFile: pki.rootCAFile)   // the service's own router
///     try await GatehouseTestServer.withServer(router: routes, pki: pki) { server in
///         let response = try await server.client(.client("alice")).get("/greet")
///         #expect(response.status == .ok)
///         #expect(response.bodyText == "Hello, CN=alice,O=Gatehouse Tests.")
///         #expect(try await server.client(.none).get("/greet").status == .forbidden)
///     }
/// }
/// ```
///
/// Or serve a configuration file's text (see ``withServer(configuration:functions:pki:logger:_:)``).
/// The server, and every client made by ``client(_:httpVersion:listener:)``, is shut down when `body` returns or
/// throws.
public struct GatehouseTestServer: Sendable {
    /// The PKI whose server certificate the server presents and whose root CA the clients trust.
    public let pki: TestPKI
    /// The address every listener is bound to (`127.0.0.1` unless asked otherwise).
    public let host: String
    /// The bound port of each listener, in listener order.
    public let ports: [Int]
    /// The running service, when the server was made from a configuration: reload it, read its state.
    public let service: GatehouseService?
    /// The folder holding `gatehouse.yaml` and `pki/`, when the server was made from a configuration; removed when the
    /// server stops.
    public let directory: String?
    private let clients: ClientList

    /// The first listener's port.
    public var port: Int { self.ports[0] }

    /// `https://HOST:PORT` + `path` for a listener (brackets around an IPv6 address).
    public func url(_ path: String, listener: Int = 0) -> String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "https://\(host):\(self.ports[listener])\(path)"
    }

    /// A client that presents `certificate`, trusts the PKI's root CA and calls listener `listener`.
    ///
    /// Each call makes a new client with connections of its own; it is shut down with the server.
    /// - Throws: ``ClientError`` when the certificate's files cannot be used.
    public func client(
        _ certificate: TestClientCertificate = .client(),
        httpVersion: ClientConfiguration.HTTPVersionPreference = .automatic,
        listener: Int = 0
    ) throws -> TestClient {
        let identity = try certificate.identity(in: self.pki)
        let client = try HTTPClient(
            configuration: ClientConfiguration(
                identity: identity.map { .pem(certificateChainFile: $0.chainFile, privateKeyFile: $0.keyFile) },
                trustedCAFiles: [self.pki.rootCAFile],
                httpVersion: httpVersion
            )
        )
        self.clients.append(client)
        return TestClient(httpClient: client, baseURL: self.url("", listener: listener))
    }
}

extension GatehouseTestServer {
    /// Serves `router` on one TLS listener on `host`, port 0, runs `body`, then shuts the server down.
    ///
    /// The listener presents ``TestPKI/server`` (valid for `localhost`, `127.0.0.1` and `::1`) and asks for a
    /// client certificate (`clientCertificateMode`); with ``ClientCertificateMode/require`` it trusts
    /// ``TestPKI/rootCA`` at the handshake. Authentication is the router's business: give its authenticators
    /// ``TestPKI/rootCAFile`` to trust.
    /// - Parameters:
    ///   - router: what answers every request, e.g. `RouterBuilder.build()`.
    ///   - pki: the certificates; ``TestPKI/shared()`` by default.
    ///   - serverIdentity: what the listener presents instead of ``TestPKI/server``, e.g. a certificate for other
    ///     names, to test a client's host-name checks.
    ///   - limits: the listener's limits; by default the defaults with a 60 s handshake timeout, so that a
    ///     loaded test machine does not cut handshakes off.
    ///   - logger: the server's logger; silent by default.
    /// - Returns: what `body` returns.
    public static func withServer<Value>(
        router: any Responder,
        pki: TestPKI? = nil,
        host: String = "127.0.0.1",
        clientCertificateMode: ClientCertificateMode = .request,
        serverIdentity: TLSIdentity? = nil,
        limits: ConnectionLimits? = nil,
        logger: Logger = Self.silentLogger,
        _ body: (GatehouseTestServer) async throws -> Value
    ) async throws -> Value {
        let pki = try pki ?? TestPKI.shared()
        let tls = TLSConfiguration(
            identity: serverIdentity
                ?? .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
            clientCertificateMode: clientCertificateMode,
            trustedCAFiles: [pki.rootCAFile]
        )
        let listener = ListenerConfiguration(host: host, port: 0, tls: tls, limits: limits ?? Self.patientLimits)
        let server = Server(
            configuration: ServerConfiguration(listeners: [listener]),
            responder: router,
            logger: logger
        )
        let ports = try await server.start().compactMap(\.port)
        let testServer = GatehouseTestServer(
            pki: pki,
            host: host,
            ports: ports,
            service: nil,
            directory: nil,
            clients: ClientList()
        )
        do {
            let result = try await body(testServer)
            await testServer.clients.shutdown()
            await server.shutdown()
            return result
        } catch {
            await testServer.clients.shutdown()
            await server.shutdown()
            throw error
        }
    }

    /// Serves a configuration file's text, as `gatehouse serve --config` would (with file watching and reload),
    /// runs `body`, then shuts it down.
    ///
    /// The text is written to `gatehouse.yaml` in a new folder (``directory``) beside the PKI's files, laid out as
    /// `gatehouse certs init --dir pki` lays them out, so the same file works in development:
    /// `pki/ca.crt` (the root CA), `pki/server.crt` (the server's chain), `pki/server.key`, `pki/client.crt`,
    /// `pki/client.key`. Every listener's port is replaced by 0 (an ephemeral port; see ``ports``).
    ///
    /// ```swift
    /// try await GatehouseTestServer.withServer(configuration: """
    ///     listeners:
    ///       - { host: 127.0.0.1, port: 8443, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }
    ///     policies:
    ///       partners: { trustedCAs: [pki/ca.crt] }
    ///     routes:
    ///       - { path: /api/hello, function: hello, policy: partners }
    ///     """) { server in
    ///     #expect(try await server.client().get("/api/hello?name=x").bodyText == "Hello, x.")
    /// }
    /// ```
    /// - Parameters:
    ///   - configuration: YAML (or JSON), with paths relative to the folder.
    ///   - functions: the functions routes may name; the built-ins by default.
    /// - Throws: ``ConfigurationError`` when the configuration is refused, or what `body` throws.
    public static func withServer<Value>(
        configuration: String,
        functions: FunctionRegistry = .builtIn,
        pki: TestPKI? = nil,
        logger: Logger = Self.silentLogger,
        _ body: (GatehouseTestServer) async throws -> Value
    ) async throws -> Value {
        let pki = try pki ?? TestPKI.shared()
        let directory = try Self.makeConfigurationFolder(pki: pki)
        let file = (directory as NSString).appendingPathComponent("gatehouse.yaml")
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let service = try GatehouseService(configurationFile: file, functions: functions, logger: logger) {
            for index in $0.listeners.indices { $0.listeners[index].port = 0 }
        }
        let addresses = try await service.server.start()
        let group = ServiceGroup(services: await service.services(), gracefulShutdownSignals: [], logger: logger)
        let running = Task { try await group.run() }
        let testServer = GatehouseTestServer(
            pki: pki,
            host: addresses.first?.ipAddress ?? "127.0.0.1",
            ports: addresses.compactMap(\.port),
            service: service,
            directory: directory,
            clients: ClientList()
        )
        func stop() async {
            await testServer.clients.shutdown()
            await group.triggerGracefulShutdown()
            _ = await running.result
            try? FileManager.default.removeItem(atPath: directory)
        }
        do {
            let result = try await body(testServer)
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    /// A logger that drops everything, so test output stays readable.
    public static let silentLogger = Logger(label: "gatehouse-testing") { _ in SwiftLogNoOpLogHandler() }

    /// The default limits with a 60 s TLS handshake timeout.
    static var patientLimits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.handshakeTimeout = .seconds(60)
        return limits
    }

    /// A new folder with `pki/` laid out as `gatehouse certs init` writes it.
    private static func makeConfigurationFolder(pki: TestPKI) throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        let directory = (base as NSString).appendingPathComponent("gatehouse-test-\(UUID().uuidString)")
        let folder = (directory as NSString).appendingPathComponent("pki")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = [
            (pki.rootCAFile, "ca.crt"), (pki.server.chainFile, "server.crt"), (pki.server.keyFile, "server.key"),
            (pki.client.chainFile, "client.crt"), (pki.client.keyFile, "client.key"),
        ]
        for (source, name) in files {
            try FileManager.default.copyItem(atPath: source, toPath: (folder as NSString).appendingPathComponent(name))
        }
        return directory
    }
}

/// The clients a test server made, shut down with it.
private final class ClientList: Sendable {
    private let clients = Mutex<[HTTPClient]>([])

    func append(_ client: HTTPClient) { self.clients.withLock { $0.append(client) } }

    func shutdown() async {
        for client in self.clients.withLock({ $0 }) { await client.shutdown() }
    }
}
