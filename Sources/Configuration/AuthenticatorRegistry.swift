public import GatehouseAuth

/// The authenticators a configuration file can name in `routes[].authenticators`, registered in code.
///
/// A client-certificate policy is named by `policy:`; other credentials (API keys, tokens) come from authenticators
/// a service registers before loading the file:
///
/// ```swift
/// var authenticators = AuthenticatorRegistry()
/// authenticators.register("apiKey", APIKeyAuthenticator(key: key))
/// let service = try GatehouseService(configurationFile: "gatehouse.yaml", authenticators: authenticators, logger: logger)
/// ```
public struct AuthenticatorRegistry: Sendable {
    private var authenticators: [String: any Authenticator] = [:]

    /// An empty registry.
    public init() {}

    /// Makes `authenticator` available as `name`, replacing any authenticator of that name.
    public mutating func register(_ name: String, _ authenticator: some Authenticator) {
        self.authenticators[name] = authenticator
    }

    /// The registered names.
    public var names: Set<String> { Set(self.authenticators.keys) }

    /// The authenticator registered as `name`.
    public subscript(name: String) -> (any Authenticator)? { self.authenticators[name] }
}
