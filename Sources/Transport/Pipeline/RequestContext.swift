/// What the chain knows about a request besides the request itself.
///
/// Created by the connection for each request; middleware passes an updated copy down the chain.
public struct RequestContext: Sendable {
    /// Facts about the connection that carried the request: addresses, TLS, peer certificates.
    public let connection: ConnectionInfo
    /// Values of `{param}` path segments (and `*` for a trailing wildcard), set by the router.
    public var parameters: [String: String]
    /// The first verified identity an authenticator added (see ``identities``); `nil` until one succeeds. Never an
    /// identity that failed a check (see ``reportedRefusal``).
    public private(set) var identity: (any Sendable)?
    /// The identities added after the first: empty unless a route runs more than one authentication (a client
    /// certificate and a token, say). Kept apart so that the usual single identity needs no array.
    private var laterIdentities: [any Sendable]
    /// What an authenticator that only reports (a policy in `report` mode) would have refused, e.g. Auth's
    /// `ReportedRefusal` with the caller's unverified identity and the reason; `nil` when nothing was refused.
    public var reportedRefusal: (any Sendable)?
    /// The client certificate a trusted TLS-terminating proxy forwarded with this request; `nil` on a connection
    /// that is not a trusted proxy's. When set, client-certificate policies evaluate it instead of the connection's.
    public var forwardedClientCertificate: ForwardedClientCertificate?
    /// Per-connection memory shared by every request on the connection, e.g. an authentication
    /// decision that is made once per connection.
    public let connectionStore: ConnectionStore
    /// Where the router and the authenticators note the matched route and the policy's decision for the request's
    /// record (access log, metrics, span); `nil` when nothing observes requests.
    public let observation: RequestObservation?

    /// Creates a context for one request on `connection`; `observation` when something observes it.
    public init(
        connection: ConnectionInfo,
        connectionStore: ConnectionStore,
        observation: RequestObservation? = nil
    ) {
        self.connection = connection
        self.parameters = [:]
        self.identity = nil
        self.laterIdentities = []
        self.reportedRefusal = nil
        self.forwardedClientCertificate = nil
        self.connectionStore = connectionStore
        self.observation = observation
    }

    /// Every verified identity, in the order the authenticators added them.
    public var identities: [any Sendable] {
        guard let identity = self.identity else { return [] }
        return [identity] + self.laterIdentities
    }

    /// Adds an identity an authenticator verified; earlier ones stay.
    ///
    /// Takes the value (`consuming`): the caller's box moves into the context instead of being copied.
    public mutating func addIdentity(_ identity: consuming any Sendable) {
        if case .none = self.identity {
            self.identity = identity
        } else {
            self.laterIdentities.append(identity)
        }
    }

    /// The first identity of type `type`, or `nil` when there is none.
    public func identity<Identity: Sendable>(as type: Identity.Type) -> Identity? {
        if let identity = self.identity as? Identity { return identity }
        for identity in self.laterIdentities {
            if let identity = identity as? Identity { return identity }
        }
        return nil
    }
}
