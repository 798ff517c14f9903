public import GatehouseAuth
public import GatehouseCertificates
public import GatehouseGateway
public import GatehouseTransport
public import HTTPTypes

/// A parsed, checked configuration file: listeners, named policies and routes.
///
/// Relative paths in the file are resolved against the file's folder, so every path here is absolute.
public struct GatehouseConfiguration: Sendable {
    /// The file it was read from (absolute).
    public var file: String
    /// Where to listen, each with its TLS identity, client-certificate mode and limits.
    public var listeners: [ListenerConfiguration]
    /// Named client-certificate policies, in file order.
    public var policies: [NamedPolicy]
    /// Routes, in file order.
    public var routes: [RouteConfiguration]
    /// How long a graceful shutdown waits for in-flight requests.
    public var shutdownGracePeriod: Duration
    /// The admin listener (metrics, health, readiness); `nil` when not configured.
    public var admin: AdminConfiguration?
    /// How soon before its notAfter a presented client certificate is warned about in the log (once a day per
    /// certificate); 0 turns the warnings off. 14 days by default.
    public var expiryWarning: Duration

    /// The expiry warning's default: 14 days.
    public static let defaultExpiryWarning: Duration = .seconds(14 * 86_400)
    /// The bounds of the verified-chain cache every listener and policy shares (applied at start).
    public var verificationCache: VerificationCacheLimits
    /// Where one line per request goes; `nil` (the default) for no access log.
    public var accessLog: AccessLogConfiguration?
    /// The authenticators the file defines (`authenticators:`), in file order; routes name them beside those
    /// registered in code.
    public var authenticators: [NamedAuthenticator]
    /// The listeners that believe a TLS-terminating proxy's forwarded client certificate (their
    /// `trustForwardedClientCertificate`), by index in ``listeners``; a listener without an entry believes none.
    public var trustForwardedClientCertificate: [Int: ForwardedCertificateTrust]
    /// The upstreams gateway routes forward to, in file order.
    public var upstreams: [UpstreamConfiguration] = []

    /// Creates a configuration in code; paths should be absolute. `file` names it in errors and logs.
    public init(
        file: String,
        listeners: [ListenerConfiguration],
        policies: [NamedPolicy] = [],
        routes: [RouteConfiguration],
        shutdownGracePeriod: Duration = .seconds(10),
        admin: AdminConfiguration? = nil,
        expiryWarning: Duration = GatehouseConfiguration.defaultExpiryWarning,
        verificationCache: VerificationCacheLimits = VerificationCacheLimits(),
        accessLog: AccessLogConfiguration? = nil,
        authenticators: [NamedAuthenticator] = [],
        trustForwardedClientCertificate: [Int: ForwardedCertificateTrust] = [:]
    ) {
        self.file = file
        self.listeners = listeners
        self.policies = policies
        self.routes = routes
        self.shutdownGracePeriod = shutdownGracePeriod
        self.admin = admin
        self.expiryWarning = expiryWarning
        self.verificationCache = verificationCache
        self.accessLog = accessLog
        self.authenticators = authenticators
        self.trustForwardedClientCertificate = trustForwardedClientCertificate
    }

    /// A policy and its name.
    public struct NamedPolicy: Sendable, Hashable {
        /// The name routes refer to.
        public var name: String
        /// The policy's fields, paths absolute.
        public var configuration: PolicyConfiguration

        /// Names `configuration`.
        public init(name: String, configuration: PolicyConfiguration) {
            self.name = name
            self.configuration = configuration
        }
    }
}

/// One route of the configuration file.
public struct RouteConfiguration: Sendable, Hashable {
    /// The path pattern (`/api/hello`, `/users/{id}`, `/static/*`).
    public var path: String
    /// The methods; `[GET]` when not given.
    public var methods: [HTTPRequest.Method]
    /// The name of the function that answers (`hello`, `health`, `whoami`, or one registered by the host app);
    /// empty for an upstream route.
    public var function: String
    /// The name of the upstream it forwards to instead of a function (gateway mode); `nil` for a function route.
    public var upstream: String? = nil
    /// The path prefix removed before an upstream route forwards (`/orders` sends `/orders/1` as `/1`).
    public var stripPrefix: String? = nil
    /// The name of the client-certificate policy in front of it, if any; it runs before ``authenticators``.
    public var policy: String?
    /// The authenticators (registered in an ``AuthenticatorRegistry``, or defined under `authenticators:`) it runs after the policy, one step after another:
    /// each step must authenticate, and a step of several names is satisfied by the first that authenticates
    /// (``AuthenticationMiddleware``). `[["apiKey"]]` needs the API key; `[["token", "apiKey"]]` either.
    public var authenticators: [[String]]
    /// The names of the listeners it is served on; `nil` for every listener. Elsewhere its path is not found (404).
    public var listeners: [String]?
    /// The key path of this route in the file, for errors found later.
    public var keyPath: String

    /// Creates a route; `keyPath` locates it in errors.
    public init(
        path: String,
        methods: [HTTPRequest.Method] = [.get],
        function: String,
        policy: String? = nil,
        authenticators: [[String]] = [],
        listeners: [String]? = nil,
        keyPath: String = "routes"
    ) {
        self.path = path
        self.methods = methods
        self.function = function
        self.policy = policy
        self.authenticators = authenticators
        self.listeners = listeners
        self.keyPath = keyPath
    }

    /// Whether the route is served on `listener`: it names no listeners, or names this one.
    public func isServed(on listener: ListenerConfiguration) -> Bool {
        guard let names = self.listeners else { return true }
        return listener.name.map(names.contains) ?? false
    }
}
