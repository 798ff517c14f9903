import Gatehouse

/// A function of our own: greets the caller by the subject of its client certificate.
struct Greet: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let caller = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "stranger"
        return .text("Hello, \(caller).")
    }
}

let logger = Logger(label: "hello-service")
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8443
// The folder `gatehouse certs init --dir pki` writes: our CA, and the server's certificate and key.
let pki = CommandLine.arguments.dropFirst(2).first ?? "pki"

// Only callers whose certificate chains to our CA get past this.
let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: ["\(pki)/ca.crt"], logger: logger)

var routes = RouterBuilder()
try routes.add("/greet", function: Greet(), middleware: [authenticator.middleware()])
try routes.add("/healthz", function: Health())

let tls = TLSConfiguration(
    identity: .pem(certificateChainFile: "\(pki)/server.crt", privateKeyFile: "\(pki)/server.key"),
    clientCertificateMode: .request
)
let server = Server(
    configuration: ServerConfiguration(listeners: [ListenerConfiguration(host: "127.0.0.1", port: port, tls: tls)]),
    responder: routes.build(),
    logger: logger
)
try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
