import Foundation
import GatehouseAuth
import Logging
import Metrics
import Synchronization

/// One ``ClientCertificateMonitor`` per policy name, kept across reloads so that a policy's counters and expiry
/// series outlive the authenticators a reload rebuilds. Every monitor shares the service's ``ExpiryWarnings``.
final class PolicyMonitors: Sendable {
    private let factory: any MetricsFactory
    private let logger: Logger
    /// The expiry warnings of every policy: a certificate is warned about once a day, whatever the policy.
    let expiryWarnings: ExpiryWarnings
    private let monitors = Mutex([String: ClientCertificateMonitor]())

    init(factory: any MetricsFactory, expiryWarning: Duration, logger: Logger) {
        self.factory = factory
        self.logger = logger
        self.expiryWarnings = ExpiryWarnings(window: expiryWarning, logger: logger)
    }

    /// The monitor of the policy named `name`, created at its first use.
    func monitor(for name: String) -> ClientCertificateMonitor {
        self.monitors.withLock { monitors in
            if let monitor = monitors[name] { return monitor }
            let monitor = ClientCertificateMonitor(
                policy: name,
                metricsFactory: self.factory,
                expiryWarnings: self.expiryWarnings,
                logger: self.logger
            )
            monitors[name] = monitor
            return monitor
        }
    }

    /// Removes every policy's client-certificate expiry series not seen in the last 24 hours (before a scrape).
    func pruneExpirySeries(at now: Date = Date()) {
        for monitor in self.monitors.withLock({ Array($0.values) }) { monitor.expiryGauges.prune(at: now) }
    }
}
