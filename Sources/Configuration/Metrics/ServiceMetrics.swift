import Foundation
import GatehouseAuth
import GatehouseTransport
import Logging
import Metrics

import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// A service's own instruments and its exposition: the reload series, the trust material's expiry series, the
/// per-policy monitors, and — when the service exposes metrics on its admin listener — the Prometheus registry they
/// are emitted from.
///
/// Series: `gatehouse_config_reloads_total{result}` (`success`/`failure`), `gatehouse_config_generation` (1 at start,
/// one more per successful reload), `gatehouse_config_last_reload_success_timestamp_seconds` (the start counts as
/// the first successful load), and ``CertificateExpiryGauges``.
final class ServiceMetrics: Sendable {
    /// Where every instrument of the service is created (the contract with the per-request metrics).
    let factory: any MetricsFactory
    /// The registry `/metrics` emits: the factory's when it is Prometheus's; else one of its own, for the process
    /// basics only (the instruments then live in the given backend, which exposes them its own way).
    let registry: PrometheusCollectorRegistry
    let monitors: PolicyMonitors
    private let reloadSuccesses: Counter
    private let reloadFailures: Counter
    private let generation: Gauge
    private let lastSuccess: Gauge
    private let certificateExpiry: CertificateExpiryGauges
    private let process: ProcessMetrics

    /// The factory a service uses: `factory` when given; else the bootstrapped `MetricsSystem`'s when it is
    /// Prometheus's or no admin listener is configured; else a Prometheus factory of its own, for `/metrics`.
    static func factory(given factory: (any MetricsFactory)?, hasAdmin: Bool) -> any MetricsFactory {
        if let factory { return factory }
        let system = MetricsSystem.factory
        if system is PrometheusMetricsFactory || !hasAdmin { return system }
        var own = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        own.valueHistogramBuckets[RequestMetrics.requestDuration] = RequestMetrics.durationBuckets
        return own
    }

    init(factory: any MetricsFactory, expiryWarning: Duration, logger: Logger) {
        self.factory = factory
        self.registry = (factory as? PrometheusMetricsFactory)?.registry ?? PrometheusCollectorRegistry()
        self.monitors = PolicyMonitors(factory: factory, expiryWarning: expiryWarning, logger: logger)
        self.reloadSuccesses = Counter(
            label: "gatehouse_config_reloads_total",
            dimensions: [("result", "success")],
            factory: factory
        )
        self.reloadFailures = Counter(
            label: "gatehouse_config_reloads_total",
            dimensions: [("result", "failure")],
            factory: factory
        )
        self.generation = Gauge(label: "gatehouse_config_generation", factory: factory)
        self.lastSuccess = Gauge(label: "gatehouse_config_last_reload_success_timestamp_seconds", factory: factory)
        self.certificateExpiry = CertificateExpiryGauges(factory: factory)
        self.process = ProcessMetrics(registry: self.registry)
    }

    /// A configuration is serving: at start (`generation` 1) or after a successful reload.
    func loaded(_ configuration: GatehouseConfiguration, generation: Int, at now: Date = Date()) {
        self.generation.record(generation)
        self.lastSuccess.record(now.timeIntervalSince1970)
        // Reading every trust file again is only worth it when something records the result.
        if !(self.factory is NOOPMetricsHandler) {
            self.certificateExpiry.update(TrustMaterialExpiry.entries(of: configuration))
        }
        self.monitors.expiryWarnings.update(window: configuration.expiryWarning)
    }

    /// Counts a reload.
    func reloaded(succeeded: Bool) {
        (succeeded ? self.reloadSuccesses : self.reloadFailures).increment()
    }

    /// The Prometheus text exposition, brought up to date first: stale client-certificate expiry series removed,
    /// the process basics read.
    func exposition(at now: Date = Date()) -> [UInt8] {
        self.monitors.pruneExpirySeries(at: now)
        self.process.update()
        return self.registry.emitToBuffer()
    }
}
