package import Metrics

/// One listener's connection and handshake instruments, created once when the listener is bound and kept: accepting
/// a connection or finishing a handshake touches instruments it already holds, never the factory.
///
/// Series (README's "Operations"): `gatehouse_connections_open{listener}`, `gatehouse_connections_total{listener}`,
/// `gatehouse_connections_refused_total{listener}` and `gatehouse_tls_handshakes_total{listener,result,resumed}` with
/// `result` `ok`, `failed` or `timeout`.
package final class ListenerMetrics: Sendable {
    /// How a TLS handshake ended.
    package enum HandshakeResult: Sendable {
        /// Finished; `resumed` when the session came from a ticket.
        case ok(resumed: Bool)
        /// Failed: an alert, a protocol error, or the peer closed during it.
        case failed
        /// Did not finish within the listener's `handshakeTimeout`.
        case timeout
    }

    /// Connections open now.
    let open: Meter
    /// Connections accepted and admitted (not those refused by `maxConnections`).
    let accepted: Counter
    /// Connections closed at once because the listener held `maxConnections`.
    let refused: Counter
    private let handshakeOK: Counter
    private let handshakeResumed: Counter
    private let handshakeFailed: Counter
    private let handshakeTimeout: Counter

    /// The instruments of the listener labelled `listener`, from `factory`.
    package init(listener: String, factory: any MetricsFactory) {
        let labels = [("listener", listener)]
        self.open = Meter(label: "gatehouse_connections_open", dimensions: labels, factory: factory)
        self.accepted = Counter(label: "gatehouse_connections_total", dimensions: labels, factory: factory)
        self.refused = Counter(label: "gatehouse_connections_refused_total", dimensions: labels, factory: factory)
        func handshakes(_ result: String, resumed: Bool) -> Counter {
            Counter(
                label: "gatehouse_tls_handshakes_total",
                dimensions: labels + [("result", result), ("resumed", resumed ? "true" : "false")],
                factory: factory
            )
        }
        self.handshakeOK = handshakes("ok", resumed: false)
        self.handshakeResumed = handshakes("ok", resumed: true)
        self.handshakeFailed = handshakes("failed", resumed: false)
        self.handshakeTimeout = handshakes("timeout", resumed: false)
    }

    /// Counts one handshake.
    package func count(_ result: HandshakeResult) {
        switch result {
        case .ok(let resumed): (resumed ? self.handshakeResumed : self.handshakeOK).increment()
        case .failed: self.handshakeFailed.increment()
        case .timeout: self.handshakeTimeout.increment()
        }
    }

    /// The `listener` label: the configured name, or `host:port` (`[::1]:8443`) when unnamed.
    package static func label(name: String?, host: String, port: Int) -> String {
        name ?? (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }
}
