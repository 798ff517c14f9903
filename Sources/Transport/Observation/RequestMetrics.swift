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
    /// The histogram's name (a `Timer`: Prometheus factories expose it as a histogram in seconds).
    public static let requestDuration = "gatehouse_request_duration_seconds"
    /// The most label sets kept per instrument kind.
    public static let maxCachedSeries = 10_000

    private struct CounterKey: Hashable {
        let listener: String
        let route: String
        let method: String
        let status: Int
        let http2: Bool
    }

    private struct TimerKey: Hashable {
        let listener: String
        let route: String
        let http2: Bool
    }

    private let factory: any MetricsFactory
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let timers = Mutex<[TimerKey: CoreMetrics.Timer]>([:])

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
        let nanoseconds =
            record.duration.components.seconds * 1_000_000_000
            + record.duration.components.attoseconds / 1_000_000_000
        self.timer(listener: record.listener, route: record.route, http2: http2).recordNanoseconds(nanoseconds)
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
    func timer(listener: String, route: String, http2: Bool) -> CoreMetrics.Timer {
        let key = TimerKey(listener: listener, route: route, http2: http2)
        if let timer = self.timers.withLock({ $0[key] }) { return timer }
        let timer = CoreMetrics.Timer(
            label: Self.requestDuration,
            dimensions: [("listener", listener), ("route", route), ("protocol", Self.protocolLabel(http2: http2))],
            factory: self.factory
        )
        self.timers.withLock { timers in
            if timers.count < Self.maxCachedSeries { timers[key] = timers[key] ?? timer }
        }
        return timer
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
