/// A policy's online revocation check (OCSP, RFC 6960), as written under the policy's `ocsp` key.
///
/// ```yaml
/// ocsp: { mode: hardFail, responder: http://127.0.0.1:8888, timeout: 2s, cacheSize: 10000 }
/// ```
public struct OCSPConfiguration: Sendable, Hashable, Codable {
    /// What a certificate whose status cannot be learnt gets.
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        /// Refused with reason `revocation_unknown`: the responder is unreachable, slow, unverifiable or answers
        /// `unknown`.
        case hardFail
        /// Allowed, with a (rate-limited) warning in the log.
        case softFail
    }

    /// `hardFail` (the default) or `softFail`.
    public var mode: Mode = .hardFail
    /// The responder's `http://` URL; `nil` asks the responder named in the leaf's Authority Information Access.
    public var responder: String? = nil
    /// How long one exchange with the responder may take, connection included.
    public var timeout: Duration = .seconds(2)
    /// The most certificates whose status is cached; the least recently used goes first.
    public var cacheSize: Int = 10_000

    /// The check with its defaults: hard failure, the leaf's own responder, 2 s, 10,000 cached statuses.
    public init() {}

    /// The largest response body accepted from a responder.
    public static let maxResponseSize = 64 * 1024
    /// How long a status whose response has no nextUpdate is cached.
    public static let defaultMaxAge: Duration = .seconds(3600)
    /// How long a failure (or an `unknown` status) is cached, so that a responder that is down is not asked on
    /// every request.
    public static let failureCacheTime: Duration = .seconds(30)
    /// The clock skew forgiven on a response's thisUpdate and nextUpdate, in seconds.
    public static let leeway = 300
}
