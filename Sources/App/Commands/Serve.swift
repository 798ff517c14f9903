import ArgumentParser
import Certificates
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import Transport

/// `gatehouse serve`: runs the server on the embedded default configuration.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Hello function behind a client-certificate check.",
        discussion: """
            Without a configuration this runs the embedded default: https://127.0.0.1:8443, HTTP/2 and \
            HTTP/1.1, a development PKI under .gatehouse/pki (created on first run), GET /api/hello behind \
            a check that the client certificate chains to the development CA, and an open GET /healthz. \
            SIGINT or SIGTERM drain in-flight requests and exit 0.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8443

    @Option(help: "Where the development PKI lives; created when missing.")
    var pkiDirectory = ".gatehouse/pki"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard !self.host.isEmpty else { throw ValidationError("--host must not be empty") }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gatehouse")
        let pki = try DevelopmentPKI.loadOrCreate(in: self.pkiDirectory)
        let defaults = try DefaultService(host: self.host, port: self.port, pki: pki, logger: logger)
        let addresses = try await defaults.server.start()
        // Written unbuffered: people and scripts wait for the banner on a pipe.
        FileHandle.standardOutput.write(Data((defaults.banner(boundTo: addresses) + "\n").utf8))
        let group = ServiceGroup(
            services: [defaults.server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}
