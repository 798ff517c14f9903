import ArgumentParser
import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseConfiguration
import GatehouseTransport
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `gatehouse serve`: runs a configuration file, or the embedded default.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve functions behind client-certificate policies.",
        discussion: """
            With --config, serves what the file describes (listeners, policies, routes; see the README). \
            Without it, runs the embedded default: https://127.0.0.1:8443, HTTP/2 and HTTP/1.1, a development \
            PKI under .gatehouse/pki (created on first run), GET /api/hello and GET /api/whoami behind a policy \
            trusting the development CA, and an open GET /healthz.

            SIGHUP reloads the configuration and all trust material; changed trust files are picked up on \
            their own within 2 seconds. A broken new configuration is refused and the old one keeps serving. \
            SIGINT or SIGTERM drain in-flight requests and exit 0.
            """
    )

    @Option(name: .customLong("config"), help: "A configuration file (YAML or JSON).")
    var configurationFile: String?

    @Option(help: "The address to listen on (with --config: replaces the first listener's).")
    var host: String?

    @Option(help: "The port to listen on, 0 for a free one (with --config: replaces the first listener's).")
    var port: Int?

    @Option(help: "Where the development PKI of the embedded default lives; created when missing.")
    var pkiDirectory = ".gatehouse/pki"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Event-loop threads (default: one per CPU the process may run on, as limited by taskset or cgroups).")
    var eventLoops: Int?

    func validate() throws {
        if let port = self.port, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535")
        }
        if self.host?.isEmpty == true { throw ValidationError("--host must not be empty") }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let eventLoops = self.eventLoops, eventLoops < 1 {
            throw ValidationError("--event-loops must be at least 1")
        }
    }

    func run() async throws {
        EventLoopCount.configureSharedGroup(
            requested: self.eventLoops,
            environment: ProcessInfo.processInfo.environment
        )
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gatehouse")
        let service: GatehouseService
        var banner: ([SocketAddress]) -> String
        do {
            if let file = self.configurationFile {
                service = try self.serviceFromFile(file, logger: logger)
                banner = { addresses in
                    "Gatehouse is listening on "
                        + addresses.map { "https://\(authority(of: $0))" }.joined(separator: ", ")
                }
            } else {
                let pki = try DevelopmentPKI.loadOrCreate(in: self.pkiDirectory)
                let configuration = DefaultConfiguration.make(
                    host: self.host ?? "127.0.0.1",
                    port: self.port ?? 8443,
                    pki: pki
                )
                service = try GatehouseService(configuration: configuration, logger: logger)
                banner = { DefaultConfiguration.banner(pki: pki, boundTo: $0) }
            }
        } catch {
            try failStartup(error, pkiDirectory: self.pkiDirectory)
        }
        let addresses: [SocketAddress]
        var adminLine = ""
        do {
            addresses = try await service.server.start()
        } catch let error as ListenerError {
            FileHandle.standardError.write(Data("gatehouse: \(self.explain(error))\n".utf8))
            throw ExitCode.failure
        }
        if let admin = service.admin {
            do {
                let bound = try await admin.start()
                adminLine = bound.first.map { "\nAdmin (metrics, health, readiness) on \(authority(of: $0))" } ?? ""
            } catch let error as ListenerError {
                await service.server.shutdown()
                FileHandle.standardError.write(Data("gatehouse: \(self.explainAdmin(error))\n".utf8))
                throw ExitCode.failure
            }
        }
        let services = await service.services()
        let group = ServiceGroup(
            services: [ReadyBanner(text: banner(addresses) + adminLine), StartupPageRelease()] + services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }

    /// A listener that cannot listen, located the way a configuration error is (the file and the listener's key)
    /// or, for the embedded default, with the option that changes the address.
    private func explain(_ error: ListenerError) -> String {
        guard let file = self.configurationFile else {
            let option =
                error.code == .addressInUse || error.code == .permissionDenied
                ? "--port sets the port" : "--host sets the address"
            return "\(error); \(option)"
        }
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        return "\(path): listeners[\(error.listenerIndex)]: \(error)"
    }

    /// The admin listener cannot listen: located at the configuration's `admin` key.
    private func explainAdmin(_ error: ListenerError) -> String {
        let path = self.configurationFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "admin"
        return "\(path): admin: \(error)"
    }

    /// The service for a configuration file, with --host/--port applied to its first listener on every read.
    private func serviceFromFile(_ file: String, logger: Logger) throws -> GatehouseService {
        let host = self.host
        let port = self.port
        return try GatehouseService(configurationFile: file, logger: logger) { configuration in
            if let host { configuration.listeners[0].host = host }
            if let port { configuration.listeners[0].port = port }
        }
    }
}
