/// What the chain learns about one request for its record: the matched route and the policy's decision.
///
/// Present in ``RequestContext/observation`` only while something observes requests (else `nil`, and nothing is
/// allocated). The router writes ``route``, the client-certificate authenticator the policy's outcome; the
/// connection reads them once the response is written.
///
/// `@unchecked Sendable`: written by the request's chain and read by its connection after the chain returned, both
/// on the connection's event loop; the chain's return orders the reads after the writes. For the same reason its
/// fields skip the runtime's exclusivity checks (`@exclusivity(unchecked)`), which cost more than the writes.
public final class RequestObservation: @unchecked Sendable {
    /// The matched route's configured pattern; empty when no route matched.
    @exclusivity(unchecked) public var route = ""
    /// The name of the client-certificate policy that decided.
    @exclusivity(unchecked) public var policy: String?
    /// What the policy decided.
    @exclusivity(unchecked) public var decision = RequestDecision.none
    /// The policy's reason code (`ok` when allowed).
    @exclusivity(unchecked) public var reason: String?
    /// The client certificate a trusted proxy forwarded with the request: the record's client then is its leaf, not
    /// the connection's (the proxy's).
    @exclusivity(unchecked) public var forwardedClientCertificate: ForwardedClientCertificate?

    /// Whether anything reads the decision (``policy``, ``decision``, ``reason``): an access log or a tracer does,
    /// request metrics do not (the policy's own monitor counts decisions), so authenticators skip noting it.
    public let wantsDecision: Bool

    /// An empty observation: no route, no decision; `wantsDecision` when something reads the decision.
    public init(wantsDecision: Bool = true) {
        self.wantsDecision = wantsDecision
    }

    /// Empties the observation for another request of its connection (``SpareObservation``).
    func reset() {
        self.route = ""
        self.policy = nil
        self.decision = .none
        self.reason = nil
        self.forwardedClientCertificate = nil
    }

    /// Records a policy's outcome; the first decision of a request stands (a route's policy runs first).
    public func recordDecision(_ decision: RequestDecision, policy: String, reason: String) {
        guard case .none = self.decision else { return }
        self.decision = decision
        self.policy = policy
        self.reason = reason
    }
}
