import ArgumentParser
import Hummingbird
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The load comparison's Hummingbird 2 peer: answers `GET /api/hello?name=X` with `Hello, X.` over HTTP/1.1 or
/// HTTP/2 (ALPN), and completes a TLS handshake only with a client certificate from the trusted CA.
@main
struct HummingbirdPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hummingbird-peer",
        abstract: "Hummingbird 2 mutual-TLS server for the Gatehouse load comparison."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8445

    @Option(name: .customLong("cert"), help: "PEM server certificate chain (leaf first).")
    var certificateChain: String

    @Option(name: .customLong("key"), help: "PEM private key of the server certificate.")
    var key: String

    @Option(name: .customLong("client-ca"), help: "PEM bundle of the CAs that client certificates must chain to.")
    var clientCA: String

    @Option(help: "Event loop threads (default: the CPUs this process may run on).")
    var threads = System.coreCount

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "warning"

    func run() async throws {
        let tlsConfiguration = try PeerTLS.serverConfiguration(
            certificateChain: self.certificateChain,
            key: self.key,
            clientCA: self.clientCA
        )
        var logger = Logger(label: "hummingbird-peer")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .warning

        let router = Router()
        router.get("/api/hello") { request, _ -> String in
            let name = request.uri.queryParameters["name"].map(String.init) ?? "world"
            return "Hello, \(name)."
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, self.threads))
        let app = Application(
            router: router,
            server: try .http2Upgrade(tlsConfiguration: tlsConfiguration),
            configuration: .init(address: .hostname(self.host, port: self.port), serverName: "hummingbird-peer"),
            eventLoopGroupProvider: .shared(group),
            logger: logger
        )
        try await app.runService()
    }
}
