import HTTPTypes
public import Metrics
import Synchronization

/// `gatehouse_requests_total{listener,route,method,status,protocol}` and
/// `gatehouse_request_duration_seconds{listener,route,protocol}`, fed by the request observation point.
///
/// Every label has bounded values: `route` is the configured pattern (empty when none matched), `method` one of the
/// standard methods or `OTHER`, `status` the code. Instruments are made once per label set and cached (a factory
/// lookup takes the factory's lock); past ``maxCachedSeries`` label sets, instruments are made per request instead
/// of cached, which is slower but stays correct. A server's connections record without a ``RequestRecord``, each
/// through the instruments its requests used (`ConnectionRequestMetrics`), so a request hashes no label.
public final class RequestMetrics: RequestObserver {
    /// The counter's name.
    public static let requestsTotal = "gatehouse_requests_total"
    /// The histogram's name: an aggregating `Recorder` of seconds, which Prometheus factories expose as a histogram
    /// (with ``durationBuckets`` when the factory is told so: the service's own factory is).
    public static let requestDuration = "gatehouse_request_duration_seconds"
    /// The histogram's upper bucket bounds in seconds, 1 ms to 5 s: Prometheus' default bounds start at 5 ms, yet a
    /// request answered by a function in the process often takes less; eleven bounds, as many as the default, since
    /// a request pays a comparison with each.
    public static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]
    /// The most label sets kept per instrument kind.
    public static let maxCachedSeries = 10_000

    private struct CounterKey: Hashable {
        let listener: String
        let route: String
        let method: String
        let status: Int
        let http2: Bool
    }

    private struct HistogramKey: Hashable {
        let listener: String
        let route: String
        let http2: Bool
    }

    private let factory: any MetricsFactory
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let histograms = Mutex<[HistogramKey: any RecorderHandler]>([:])

    /// Makes its instruments with `factory` (a `PrometheusMetricsFactory`, or `MetricsSystem.factory`).
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Counts the request and records its duration.
    public func observe(_ record: RequestRecord) {
        let http2 = record.connection.httpVersion == .http2
        self.counter(
            listener: record.listener,
            route: record.route,
            method: Self.methodLabel(record.method?.rawValue),
            status: record.status,
            http2: http2
        ).increment()
        let seconds = Double(record.duration.components.seconds) + Double(record.duration.components.attoseconds) / 1e18
        self.histogram(listener: record.listener, route: record.route, http2: http2).record(seconds)
    }

    /// The counter of a label set, from the cache or made (and cached while there is room); `method` is a label.
    func counter(listener: String, route: String, method: String, status: Int, http2: Bool) -> Counter {
        let key = CounterKey(listener: listener, route: route, method: method, status: status, http2: http2)
        if let counter = self.counters.withLock({ $0[key] }) { return counter }
        let counter = Counter(
            label: Self.requestsTotal,
            dimensions: [
                ("listener", listener), ("route", route), ("method", method), ("status", String(status)),
                ("protocol", Self.protocolLabel(http2: http2)),
            ],
            factory: self.factory
        )
        self.counters.withLock { counters in
            if counters.count < Self.maxCachedSeries { counters[key] = counters[key] ?? counter }
        }
        return counter
    }

    /// The histogram of a label set, from the cache or made (and cached while there is room).
    ///
    /// An aggregating recorder of seconds rather than a `Timer`: swift-prometheus compares a `Double` with each
    /// bucket bound in about half the instructions a `Duration` takes. The factory's handler itself rather than a
    /// `Recorder`: `Recorder.record` is a generic method of a class that is not final, so the call goes through the
    /// class's table to the unspecialized generic conversion to `Double`, which costs more than the histogram.
    func histogram(listener: String, route: String, http2: Bool) -> any RecorderHandler {
        let key = HistogramKey(listener: listener, route: route, http2: http2)
        if let histogram = self.histograms.withLock({ $0[key] }) { return histogram }
        let histogram = self.factory.makeRecorder(
            label: Self.requestDuration,
            dimensions: [("listener", listener), ("route", route), ("protocol", Self.protocolLabel(http2: http2))],
            aggregate: true
        )
        self.histograms.withLock { histograms in
            if histograms.count < Self.maxCachedSeries { histograms[key] = histograms[key] ?? histogram }
        }
        return histogram
    }

    /// `h2` or `http/1.1`, as ALPN names them (and ``RequestRecord/protocolName``).
    static func protocolLabel(http2: Bool) -> String {
        http2 ? "h2" : "http/1.1"
    }

    /// The method as a label: a standard method's name, or `OTHER` (a client may send any token).
    static func methodLabel(_ method: String?) -> String {
        guard let method else { return "OTHER" }
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH": return method
        default: return "OTHER"
        }
    }
}
