import Foundation
import Metrics
import Synchronization

/// `gatehouse_certificate_expiry_timestamp_seconds{kind,name,subject,sha256}`: the expiry of the trust material
/// the configuration names (``TrustMaterialExpiry``), replaced whole at start and on every successful reload.
///
/// A series whose certificate or CRL is no longer configured is destroyed, which unregisters it from the backend, so
/// it leaves the exposition; one that stays keeps its gauge. Bounded by what the configuration names.
final class CertificateExpiryGauges: Sendable {
    private let factory: any MetricsFactory
    private let gauges = Mutex([TrustMaterialExpiry.Entry.Key: Gauge]())

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Makes the series exactly `entries`: new ones created, changed ones set, stale ones removed.
    func update(_ entries: [TrustMaterialExpiry.Entry]) {
        self.gauges.withLock { gauges in
            var kept: [TrustMaterialExpiry.Entry.Key: Gauge] = [:]
            for entry in entries where kept[entry.key] == nil {
                let gauge =
                    gauges.removeValue(forKey: entry.key)
                    ?? Gauge(
                        label: "gatehouse_certificate_expiry_timestamp_seconds",
                        dimensions: [
                            ("kind", entry.key.kind), ("name", entry.key.name), ("subject", entry.key.subject),
                            ("sha256", entry.key.sha256),
                        ],
                        factory: self.factory
                    )
                gauge.record(entry.expiry.timeIntervalSince1970)
                kept[entry.key] = gauge
            }
            for stale in gauges.values { stale.destroy() }
            gauges = kept
        }
    }

    /// The number of series now.
    var count: Int { self.gauges.withLock { $0.count } }
}
