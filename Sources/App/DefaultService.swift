import Auth
import Certificates
import Functions
import Logging
import NIOCore
import Routing
import Transport

/// The embedded default of DESIGN.md: Hello and WhoAmI behind the development CA, an open health check.
struct DefaultService {
    let server: Server
    let pki: DevelopmentPKI

    /// Builds the routes and the server; binds nothing yet.
    init(host: String, port: Int, pki: DevelopmentPKI, logger: Logger) throws {
        self.pki = pki
        let authenticator = try ClientCertificateAuthenticator(
            trustedCAFiles: [pki.caCertificateFile],
            logger: logger
        )
        var routes = RouterBuilder()
        try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
        try routes.add("/api/whoami", function: WhoAmI(), middleware: [AuthenticationMiddleware(authenticator)])
        try routes.add("/healthz", function: Health())
        let tls = TLSConfiguration(
            identity: .pem(certificateChainFile: pki.serverCertificateFile, privateKeyFile: pki.serverKeyFile),
            clientCertificateMode: .request,
            trustedCAFiles: [pki.caCertificateFile]
        )
        let responder = [RequestLogger(logger: logger) as any Middleware].chained(to: routes.build())
        self.server = Server(
            configuration: ServerConfiguration(listeners: [ListenerConfiguration(host: host, port: port, tls: tls)]),
            responder: responder,
            logger: logger
        )
    }

    /// What `serve` prints once listening: the address and two ready-to-paste curl lines.
    func banner(boundTo addresses: [SocketAddress]) -> String {
        let authority = addresses.first.map(Self.authority(of:)) ?? "127.0.0.1:8443"
        let url = "https://\(authority)/api/hello?name=Gatehouse"
        let ca = "--cacert \(self.pki.caCertificateFile)"
        let client = "--cert \(self.pki.clientCertificateFile) --key \(self.pki.clientKeyFile)"
        return """
            Gatehouse is listening on https://\(authority) (HTTP/2 and HTTP/1.1)
            Development PKI: \(self.pki.directory)

            Without a client certificate (403 Invalid client certificate):
              curl \(ca) '\(url)'
            With the development client certificate (200 Hello, Gatehouse.):
              curl \(ca) \(client) '\(url)'
            """
    }

    /// `host:port`, with brackets around IPv6 addresses.
    static func authority(of address: SocketAddress) -> String {
        let host = address.ipAddress ?? "127.0.0.1"
        let port = address.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
