public import Foundation
public import GatehouseCertificates
public import Metrics
import Synchronization

/// `gatehouse_client_certificate_expiry_timestamp_seconds{policy,subject,sha256}`: the notAfter (Unix seconds) of
/// each distinct client certificate one policy allowed in the last 24 hours.
///
/// Bounded: at most ``capacity`` series (1,000); a new certificate beyond it replaces the least recently seen one,
/// and a series not seen for 24 hours is removed (at the next decision or ``prune(at:)``, which the admin listener
/// calls before every scrape). Removing a series destroys its gauge, which unregisters it from the backend
/// (swift-prometheus: `unregisterGauge`), so it disappears from the exposition. Subjects longer than 256 characters
/// are cut.
public final class ClientCertificateExpiryGauges: Sendable {
    /// How long a certificate stays after it was last allowed.
    public static let window: TimeInterval = 24 * 3600
    /// The most series kept.
    public let capacity: Int
    private let policy: String
    private let factory: any MetricsFactory
    /// Whether the factory records nothing (no backend bootstrapped): then nothing is kept.
    private let isDisabled: Bool
    private let entries = Mutex([String: Entry]())

    private struct Entry {
        let gauge: Gauge
        var lastSeen: Date
    }

    /// Series of `policy`, created in `factory`, at most `capacity` of them.
    public init(policy: String, factory: any MetricsFactory, capacity: Int = 1000) {
        self.policy = policy
        self.factory = factory
        self.isDisabled = factory is NOOPMetricsHandler
        self.capacity = capacity
    }

    /// The number of series now.
    public var count: Int { self.entries.withLock { $0.count } }

    /// Records that the policy allowed `leaf` at `now`: a new series, or the existing one marked as seen.
    ///
    /// A certificate already kept costs one digest and one dictionary update; a new one at capacity costs a scan of
    /// the kept ones to find the least recently seen. With the no-op factory (metrics off) it costs nothing.
    public func saw(_ leaf: Certificate, at now: Date) {
        guard !self.isDisabled else { return }
        let sha256 = leaf.sha256.hexString
        self.entries.withLock { entries in
            if entries[sha256] != nil {
                entries[sha256]?.lastSeen = now
                return
            }
            Self.removeStale(&entries, at: now)
            if entries.count >= self.capacity,
                let oldest = entries.min(by: { $0.value.lastSeen < $1.value.lastSeen })
            {
                entries.removeValue(forKey: oldest.key)?.gauge.destroy()
            }
            let gauge = Gauge(
                label: "gatehouse_client_certificate_expiry_timestamp_seconds",
                dimensions: [
                    ("policy", self.policy), ("subject", String(leaf.subject.prefix(256))), ("sha256", sha256),
                ],
                factory: self.factory
            )
            gauge.record(leaf.notAfter.timeIntervalSince1970)
            entries[sha256] = Entry(gauge: gauge, lastSeen: now)
        }
    }

    /// Removes the series not seen in the last 24 hours.
    public func prune(at now: Date = Date()) {
        self.entries.withLock { Self.removeStale(&$0, at: now) }
    }

    private static func removeStale(_ entries: inout [String: Entry], at now: Date) {
        let cutoff = now.addingTimeInterval(-Self.window)
        for (key, entry) in entries where entry.lastSeen < cutoff {
            entries.removeValue(forKey: key)?.gauge.destroy()
        }
    }
}
