import HTTPTypes
import Metrics

/// The request instruments one connection's requests used, so that a request finds its counter and histogram by
/// comparing a few values instead of hashing its label strings under ``RequestMetrics``' locks.
///
/// A connection's requests use few label sets (a client calls a few routes, with a few methods and statuses), and a
/// route's pattern is the same string on every request, so the comparisons are of identical strings (a pointer or a
/// few bytes). Past ``maxEntries`` label sets, ``RequestMetrics``' shared cache answers.
///
/// `@unchecked Sendable`: used only on its connection's event loop.
final class ConnectionRequestMetrics: @unchecked Sendable {
    /// The most label sets kept per instrument kind and connection.
    static let maxEntries = 16

    private struct CounterEntry {
        let route: String
        let method: String?
        let status: Int
        let http2: Bool
        let counter: Counter
    }

    private struct TimerEntry {
        let route: String
        let http2: Bool
        let timer: CoreMetrics.Timer
    }

    private let metrics: RequestMetrics
    private let listener: String
    // `@exclusivity(unchecked)`: only ever accessed from the connection's event loop, never re-entrantly.
    @exclusivity(unchecked) private var counters: [CounterEntry] = []
    @exclusivity(unchecked) private var timers: [TimerEntry] = []

    /// The instruments of a connection on `listener` (its name in records).
    init(metrics: RequestMetrics, listener: String) {
        self.metrics = metrics
        self.listener = listener
    }

    /// Counts a request and records its duration, as ``RequestMetrics/observe(_:)`` does for a record.
    func record(route: String, method: HTTPRequest.Method?, status: Int, http2: Bool, nanoseconds: Int64) {
        self.counter(route: route, method: method?.rawValue, status: status, http2: http2).increment()
        self.timer(route: route, http2: http2).recordNanoseconds(nanoseconds)
    }

    private func counter(route: String, method: String?, status: Int, http2: Bool) -> Counter {
        for index in self.counters.indices {
            let entry = self.counters[index]
            if entry.status == status && entry.http2 == http2 && entry.route == route && entry.method == method {
                return entry.counter
            }
        }
        let counter = self.metrics.counter(
            listener: self.listener,
            route: route,
            method: RequestMetrics.methodLabel(method),
            status: status,
            http2: http2
        )
        if self.counters.count < Self.maxEntries {
            self.counters.append(
                CounterEntry(route: route, method: method, status: status, http2: http2, counter: counter)
            )
        }
        return counter
    }

    private func timer(route: String, http2: Bool) -> CoreMetrics.Timer {
        for index in self.timers.indices {
            let entry = self.timers[index]
            if entry.http2 == http2 && entry.route == route { return entry.timer }
        }
        let timer = self.metrics.timer(listener: self.listener, route: route, http2: http2)
        if self.timers.count < Self.maxEntries {
            self.timers.append(TimerEntry(route: route, http2: http2, timer: timer))
        }
        return timer
    }
}
