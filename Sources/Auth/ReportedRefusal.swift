public import GatehouseTransport

/// A caller an authenticator would have refused but let through because it only reports (a policy in `report`
/// mode): who the caller claims to be, unverified, and why it fails.
///
/// ``AuthenticationMiddleware`` puts it into ``Transport/RequestContext/reportedRefusal``;
/// ``Transport/RequestContext/identity`` holds verified callers only.
///
/// ```swift
/// if let refusal = context.reportedRefusal(of: ClientCertificateIdentity.self) {
///     logger.info("unverified caller", metadata: ["subject": "\(refusal.identity?.subject ?? "-")", "reason": "\(refusal.reason)"])
/// }
/// ```
public struct ReportedRefusal<Identity: Sendable>: Sendable {
    /// The identity the caller presented, not verified; `nil` when it presented none.
    public let identity: Identity?
    /// The stable code of the first failed check, e.g. `untrusted` or `expired` (see
    /// ``ClientCertificateRejection/Reason``).
    public let reason: String

    /// Records a refusal of `identity` for `reason`.
    public init(identity: Identity?, reason: String) {
        self.identity = identity
        self.reason = reason
    }
}

extension RequestContext {
    /// The refusal a report-mode authenticator with identities of `type` recorded, if any.
    public func reportedRefusal<Identity: Sendable>(of type: Identity.Type) -> ReportedRefusal<Identity>? {
        self.reportedRefusal as? ReportedRefusal<Identity>
    }
}
