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
    /// The most label sets kept per connection.
    static let maxEntries = 16

    /// The instruments of one label set: the counter's labels decide, the histogram's are a subset of them.
    ///
    /// A class: the lookup copies one reference per entry it looks at, where copying a struct retained each field.
    private final class Entry {
        let route: String
        let method: HTTPRequest.Method?
        let status: Int
        let http2: Bool
        let counter: Counter
        let histogram: any RecorderHandler

        init(
            route: String,
            method: HTTPRequest.Method?,
            status: Int,
            http2: Bool,
            counter: Counter,
            histogram: any RecorderHandler
        ) {
            self.route = route
            self.method = method
            self.status = status
            self.http2 = http2
            self.counter = counter
            self.histogram = histogram
        }

        func matches(route: String, method: HTTPRequest.Method?, status: Int, http2: Bool) -> Bool {
            self.status == status && self.http2 == http2 && self.route == route && self.method == method
        }
    }

    private let metrics: RequestMetrics
    private let listener: String
    // `@exclusivity(unchecked)`: only ever accessed from the connection's event loop, never re-entrantly.
    @exclusivity(unchecked) private var entries: [Entry] = []
    @exclusivity(unchecked) private var last: Entry?

    /// The instruments of a connection on `listener` (its name in records).
    init(metrics: RequestMetrics, listener: String) {
        self.metrics = metrics
        self.listener = listener
    }

    /// Counts a request and records its duration, as ``RequestMetrics/observe(_:)`` does for a record.
    func record(route: String, method: HTTPRequest.Method?, status: Int, http2: Bool, nanoseconds: Int64) {
        let entry = self.entry(route: route, method: method, status: status, http2: http2)
        entry.counter.increment()
        entry.histogram.record(Double(nanoseconds) / 1e9)
    }

    /// The instruments of a label set: the last request's (a connection's requests mostly repeat), a kept one, or
    /// new ones from ``RequestMetrics`` (kept while there is room).
    private func entry(route: String, method: HTTPRequest.Method?, status: Int, http2: Bool) -> Entry {
        if let last = self.last, last.matches(route: route, method: method, status: status, http2: http2) {
            return last
        }
        for entry in self.entries where entry.matches(route: route, method: method, status: status, http2: http2) {
            self.last = entry
            return entry
        }
        let entry = Entry(
            route: route,
            method: method,
            status: status,
            http2: http2,
            counter: self.metrics.counter(
                listener: self.listener,
                route: route,
                method: RequestMetrics.methodLabel(method?.rawValue),
                status: status,
                http2: http2
            ),
            histogram: self.metrics.histogram(listener: self.listener, route: route, http2: http2)
        )
        if self.entries.count < Self.maxEntries {
            self.entries.append(entry)
            self.last = entry
        }
        return entry
    }
}
