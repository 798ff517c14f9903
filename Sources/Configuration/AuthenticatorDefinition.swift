public import GatehouseBoundToken

/// An authenticator the configuration file defines under `authenticators:`, so that an operator needs no code.
public struct NamedAuthenticator: Sendable, Hashable {
    /// The name routes list in their `authenticators`.
    public var name: String
    /// What kind of authenticator, with its settings.
    public var definition: AuthenticatorDefinition
    /// Its key path in the file (`authenticators.partnerTokens`), for errors found when it is made.
    public var keyPath: String

    /// Names `definition`; `keyPath` locates it in errors.
    public init(name: String, definition: AuthenticatorDefinition, keyPath: String? = nil) {
        self.name = name
        self.definition = definition
        self.keyPath = keyPath ?? "authenticators.\(name)"
    }
}

/// The kinds of authenticator a configuration file can define (`type:`).
public enum AuthenticatorDefinition: Sendable, Hashable {
    /// `type: boundToken`: a JWT access token bound to the client certificate (RFC 8705), a
    /// ``GatehouseBoundToken/BoundTokenAuthenticator``.
    case boundToken(BoundTokenConfiguration)
}
