/// What the chain knows about a request besides the request itself.
///
/// Created by the connection for each request; middleware passes an updated copy down the chain.
public struct RequestContext: Sendable {
    /// Facts about the connection that carried the request: addresses, TLS, peer certificates.
    public let connection: ConnectionInfo
    /// Values of `{param}` path segments (and `*` for a trailing wildcard), set by the router.
    public var parameters: [String: String]
    /// The caller's identity, set by an authenticator. `nil` until one succeeds.
    public var identity: (any Sendable)?
    /// Per-connection memory shared by every request on the connection, e.g. an authentication
    /// decision that is made once per connection.
    public let connectionStore: ConnectionStore

    /// Creates a context for one request on `connection`.
    public init(connection: ConnectionInfo, connectionStore: ConnectionStore) {
        self.connection = connection
        self.parameters = [:]
        self.identity = nil
        self.connectionStore = connectionStore
    }

    /// The identity as `type`, or `nil` when there is none or it is of another type.
    public func identity<Identity: Sendable>(as type: Identity.Type) -> Identity? {
        self.identity as? Identity
    }
}
