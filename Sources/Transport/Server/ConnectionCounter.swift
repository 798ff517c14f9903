import Logging
import Metrics
import NIOCore
import Synchronization

/// Counts one listener's open connections and refuses those beyond ``ConnectionLimits/maxConnections``.
///
/// Asked first for every accepted connection, before any TLS handler exists: a refused connection is closed at once
/// and costs no handshake work. Refusals are counted and logged at most once a second, with how many there were
/// since the last line (a flood of connections makes one log line a second, not one per connection). Admitted
/// connections move the listener's ``ListenerMetrics`` (open and total), refused ones its refused counter.
final class ConnectionCounter: Sendable {
    /// Thrown from the child channel initializer so the bootstrap closes the refused connection.
    struct Refused: Error, CustomStringConvertible {
        var description: String { "the listener has reached maxConnections" }
    }

    private let limit: Int
    private let logger: Logger
    private let metrics: ListenerMetrics
    private let open = Atomic<Int>(0)
    private let refusals = Mutex(Refusals())

    private struct Refusals {
        var total = 0
        var unlogged = 0
        var lastLog: ContinuousClock.Instant? = nil
    }

    init(limit: Int, logger: Logger, metrics: ListenerMetrics) {
        self.limit = limit
        self.logger = logger
        self.metrics = metrics
    }

    /// Counts a new connection, or refuses it when the listener is full; the caller calls ``closed()`` once an
    /// admitted connection closes (from the one close callback it registers for the connection anyway).
    /// - Throws: ``Refused`` (the caller's initializer fails and the connection is closed).
    func admit() throws {
        let count = self.open.wrappingAdd(1, ordering: .relaxed).newValue
        guard count <= self.limit else {
            self.open.wrappingSubtract(1, ordering: .relaxed)
            self.refuse()
            throw Refused()
        }
        self.metrics.accepted.increment()
        self.metrics.open.increment()
    }

    /// An admitted connection closed.
    func closed() {
        self.open.wrappingSubtract(1, ordering: .relaxed)
        self.metrics.open.decrement()
    }

    private func refuse() {
        self.metrics.refused.increment()
        let now = ContinuousClock.now
        let report: (Int, Int)? = self.refusals.withLock { refusals in
            refusals.total += 1
            refusals.unlogged += 1
            if let last = refusals.lastLog, now - last < .seconds(1) { return nil }
            defer {
                refusals.unlogged = 0
                refusals.lastLog = now
            }
            return (refusals.unlogged, refusals.total)
        }
        guard let (refused, total) = report else { return }
        self.logger.warning(
            "connection refused: maxConnections reached",
            metadata: [
                "maxConnections": "\(self.limit)", "refused": "\(refused)", "refusedTotal": "\(total)",
            ]
        )
    }
}
