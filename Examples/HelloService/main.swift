import Gatehouse

/// A function of our own: greets the caller by the subject of its client certificate.
struct Greet: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let caller = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "stranger"
        return .text("Hello, \(caller).")
    }
}

/// A second credential: an API key in the `X-API-Key` header.
struct APIKeyAuthenticator: Authenticator {
    struct Caller: Sendable { let keyName: String }
    static let header = HTTPField.Name("X-API-Key")!
    let key: String

    func authenticate(_ request: Request, context: RequestContext) async throws -> AuthenticationResult<Caller> {
        guard let presented = request.head.headerFields[Self.header] else {
            return .notApplicable(challenge: .unauthorized(challenge: "ApiKey", reason: "missing_api_key"))
        }
        // Compared without an early exit, so the time taken does not tell how much of a guess was right.
        let difference = zip(presented.utf8, self.key.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
        guard presented.utf8.count == self.key.utf8.count, difference == 0 else {
            return .refused(.unauthorized(challenge: "ApiKey", reason: "invalid_api_key"))
        }
        return .authenticated(Caller(keyName: "reports"))
    }
}

/// Needs both identities: the certificate's and the API key's.
struct Report: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let subject = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "-"
        let key = context.identity(as: APIKeyAuthenticator.Caller.self)?.keyName ?? "-"
        return .text("Report for \(subject), key \(key).")
    }
}

let logger = Logger(label: "hello-service")
let arguments = CommandLine.arguments.dropFirst()  // [port] [pki folder] [API key]
let port = Int(arguments.first ?? "") ?? 8443
// The folder `gatehouse certs init --dir pki` writes: our CA, and the server's certificate and key.
let pki = arguments.dropFirst().first ?? "pki"

// Only callers whose certificate chains to our CA get past this.
let certificates = try ClientCertificateAuthenticator(trustedCAFiles: ["\(pki)/ca.crt"], logger: logger)

var routes = RouterBuilder()
try routes.add("/greet", function: Greet(), middleware: [certificates.middleware()])
if let key = arguments.dropFirst(2).first {
    // Both must pass: a certificate (403 without), then the key (401 with `WWW-Authenticate: ApiKey` without).
    let apiKey = AuthenticationMiddleware(APIKeyAuthenticator(key: key))
    try routes.add("/report", function: Report(), middleware: [certificates.middleware(), apiKey])
}
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
