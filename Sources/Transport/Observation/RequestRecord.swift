import GatehouseCertificates
public import HTTPTypes

/// What the client-certificate policy of a request's route decided, as the access log and metrics name it.
public enum RequestDecision: String, Sendable, Hashable, CustomStringConvertible {
    /// The certificate passed the policy.
    case allowed
    /// The certificate failed the policy (or none was sent) and the request was refused.
    case refused
    /// The certificate failed a policy in `report` mode: the request went on without an identity.
    case reported
    /// No policy decided: the route has none, or no route matched, or Transport answered itself.
    case none

    /// The decision's name: `allowed`, `refused`, `reported` or `none`.
    public var description: String { self.rawValue }
}

/// One request, seen once its response was written or its stream or connection ended before it could be.
///
/// Built only when something observes (``RequestObserver``); the connection's facts (remote address, TLS version,
/// client certificate) are read through ``connection``, shared, not copied.
public struct RequestRecord: Sendable {
    /// The listener's configured name, or `host:port` when it has none.
    public var listener: String
    /// The connection that carried the request.
    public var connection: ConnectionInfo
    /// The request method; `nil` when Transport answered before a request head was read (a malformed request).
    public var method: HTTPRequest.Method?
    /// The request path without its query; `nil` as for ``method``.
    public var path: Substring?
    /// The matched route's configured pattern (`/users/{id}`); empty when no route matched.
    public var route: String
    /// The response status; 499 when the client went away (reset the stream, closed the connection) before it.
    public var status: Int
    /// Response body bytes.
    public var bodyBytes: Int
    /// From the complete request to its response written; zero when Transport answered before the request was
    /// complete (400, 408, 413, 431).
    public var duration: Duration
    /// The name of the client-certificate policy that decided; `nil` when none did.
    public var policy: String?
    /// What the policy decided.
    public var decision: RequestDecision
    /// The policy's reason code (`ok` when allowed, `untrusted`, `no_certificate`, …); `nil` when none decided.
    public var reason: String?
    /// The client certificate a trusted proxy forwarded with the request; `nil` when the connection's own
    /// certificate is the client's (see ``clientSubject``).
    public var forwardedClientCertificate: ForwardedClientCertificate?

    /// Creates a record.
    public init(
        listener: String,
        connection: ConnectionInfo,
        method: HTTPRequest.Method?,
        path: Substring?,
        route: String,
        status: Int,
        bodyBytes: Int,
        duration: Duration,
        policy: String?,
        decision: RequestDecision,
        reason: String?
    ) {
        self.listener = listener
        self.connection = connection
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.bodyBytes = bodyBytes
        self.duration = duration
        self.policy = policy
        self.decision = decision
        self.reason = reason
        self.forwardedClientCertificate = nil
    }

    /// The client's subject (RFC 4514): the forwarded leaf's when a trusted proxy forwarded a certificate, `nil`
    /// when it forwarded none, else the connection's.
    public var clientSubject: String? {
        guard let forwarded = self.forwardedClientCertificate else { return self.connection.clientSubject }
        return forwarded.leaf?.subject
    }

    /// The client's SHA-256 thumbprint (upper-case hex), chosen as ``clientSubject`` is.
    public var clientSHA256: String? {
        guard let forwarded = self.forwardedClientCertificate else { return self.connection.clientSHA256 }
        return forwarded.leaf?.sha256.hexString
    }

    /// The client's `ip:port` (`[ip]:port` for IPv6); `-` when unknown. Written once per connection.
    public var remote: String { self.connection.remoteAddressText }

    /// `http/1.1` or `h2`, as ALPN names them.
    public var protocolName: String {
        self.connection.httpVersion == .http2 ? "h2" : "http/1.1"
    }
}
