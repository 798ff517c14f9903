/// What the chain knows about a request besides the request itself.
///
/// Created by the connection for each request; middleware passes an updated copy down the chain.
public struct RequestContext: Sendable {
    /// Facts about the connection that carried the request: addresses, TLS, peer certificates.
    public let connection: ConnectionInfo
    /// Values of `{param}` path segments (and `*` for a trailing wildcard), set by the router.
    public var parameters: [String: String]
    /// The caller's verified identity, set by an authenticator. `nil` until one succeeds; never an identity that
    /// failed a check (see ``reportedRefusal``).
    public var identity: (any Sendable)?
    /// What an authenticator that only reports (a policy in `report` mode) would have refused, e.g. Auth's
    /// `ReportedRefusal` with the caller's unverified identity and the reason; `nil` when nothing was refused.
    public var reportedRefusal: (any Sendable)?
    /// Per-connection memory shared by every request on the connection, e.g. an authentication
    /// decision that is made once per connection.
    public let connectionStore: ConnectionStore

    /// Creates a context for one request on `connection`.
    public init(connection: ConnectionInfo, connectionStore: ConnectionStore) {
        self.connection = connection
        self.parameters = [:]
        self.identity = nil
        self.reportedRefusal = nil
        self.connectionStore = connectionStore
    }

    /// The identity as `type`, or `nil` when there is none or it is of another type.
    public func identity<Identity: Sendable>(as type: Identity.Type) -> Identity? {
        self.identity as? Identity
    }
}
