package import Foundation
package import GatehouseCertificates
public import Logging
public import Metrics

/// Watches one policy's decisions: counts them, keeps the notAfter of the certificates it allowed, and warns when a
/// presented certificate expires soon.
///
/// Share one monitor between every authenticator of a policy (routes, reloads): its expiry series are the policy's.
/// Called once per decision (per connection and policy generation; per request for a certificate a trusted proxy
/// forwarded), never per request on a cached decision; the counters are created once, here, for every result and
/// reason.
///
/// Series: `gatehouse_client_certificate_decisions_total{policy,result,reason}` (`allowed`/`ok`, `refused` or
/// `reported` with the reason code) and `gatehouse_client_certificate_expiry_timestamp_seconds{policy,subject,sha256}`
/// (``ClientCertificateExpiryGauges``).
public final class ClientCertificateMonitor: Sendable {
    /// The policy's name, the `policy` label.
    public let policy: String
    private let allowed: Counter
    private let refused: [ClientCertificateRejection.Reason: Counter]
    private let reported: [ClientCertificateRejection.Reason: Counter]
    /// The allowed certificates' expiry series.
    public let expiryGauges: ClientCertificateExpiryGauges
    /// The expiry warnings in the log, shared by every policy of a service.
    public let expiryWarnings: ExpiryWarnings

    /// Creates the policy's instruments in `metricsFactory`.
    /// - Parameters:
    ///   - policy: the policy's name.
    ///   - metricsFactory: where the instruments are created; the bootstrapped `MetricsSystem` by default.
    ///   - expiryWarnings: the warnings log (and its "already warned today" set) to use; shared by every monitor
    ///     of a service so that a certificate is warned about once a day whatever the policy.
    ///   - logger: where the expiry warnings of a new ``ExpiryWarnings`` are logged.
    public init(
        policy: String,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        expiryWarnings: ExpiryWarnings? = nil,
        logger: Logger
    ) {
        self.policy = policy
        func counter(_ result: String, _ reason: String) -> Counter {
            Counter(
                label: "gatehouse_client_certificate_decisions_total",
                dimensions: [("policy", policy), ("result", result), ("reason", reason)],
                factory: metricsFactory
            )
        }
        let reasons = ClientCertificateRejection.Reason.all
        self.allowed = counter("allowed", "ok")
        self.refused = Dictionary(uniqueKeysWithValues: reasons.map { ($0, counter("refused", $0.description)) })
        self.reported = Dictionary(uniqueKeysWithValues: reasons.map { ($0, counter("reported", $0.description)) })
        self.expiryGauges = ClientCertificateExpiryGauges(policy: policy, factory: metricsFactory)
        self.expiryWarnings = expiryWarnings ?? ExpiryWarnings(logger: logger)
    }

    /// A decision that allowed `leaf`.
    package func allowed(_ leaf: Certificate, at now: Date) {
        self.allowed.increment()
        self.expiryGauges.saw(leaf, at: now)
        self.expiryWarnings.check(leaf, policy: self.policy, at: now)
    }

    /// A decision that refused (or, in report mode, reported) the connection's certificate for `reason`.
    package func refused(_ reason: ClientCertificateRejection.Reason, reported: Bool, leaf: Certificate?, at now: Date)
    {
        (reported ? self.reported : self.refused)[reason]?.increment()
        if let leaf { self.expiryWarnings.check(leaf, policy: self.policy, at: now) }
    }
}
