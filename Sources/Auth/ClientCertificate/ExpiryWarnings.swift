public import Foundation
public import GatehouseCertificates
public import Logging
import Synchronization

/// Logs a warning the first time each day (UTC) that a client presents a certificate expiring within ``window``:
/// its subject, SHA-256 thumbprint and the days left.
///
/// Bounded: it remembers at most ``capacity`` thumbprints per day (10,000); beyond that, further certificates are
/// not warned about that day, and one line says so. The set is emptied when the day changes.
public final class ExpiryWarnings: Sendable {
    /// The most certificates remembered per day.
    public let capacity: Int
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var window: TimeInterval
        var day: Int = -1
        var warned: Set<String> = []
        var saidFull = false
    }

    /// Warns through `logger` about certificates that expire within `window` (14 days by default); a window of 0
    /// turns the warnings off.
    public init(window: Duration = .seconds(14 * 86_400), logger: Logger, capacity: Int = 10_000) {
        self.logger = logger
        self.capacity = capacity
        self.state = Mutex(State(window: window.timeInterval))
    }

    /// How far ahead an expiry is warned about.
    public var window: Duration { .milliseconds(Int64(self.state.withLock { $0.window } * 1000)) }

    /// Changes the window (a reload); certificates already warned about today are not warned about again.
    public func update(window: Duration) {
        self.state.withLock { $0.window = window.timeInterval }
    }

    /// Warns about `leaf`, presented to `policy` at `now`, if it expires within the window and was not warned about
    /// today. Cheap when it does not expire soon: one comparison.
    public func check(_ leaf: Certificate, policy: String, at now: Date) {
        let left = leaf.notAfter.timeIntervalSince(now)
        // An expired certificate is not warned about: the policy's refusal says so.
        guard left >= 0, left < self.state.withLock({ $0.window }) else { return }
        let thumbprint = leaf.sha256.hexString
        let day = Int((now.timeIntervalSince1970 / 86_400).rounded(.down))
        enum Outcome { case warn, full, already }
        let outcome: Outcome = self.state.withLock { state in
            if state.day != day {
                state.day = day
                state.warned.removeAll(keepingCapacity: false)
                state.saidFull = false
            }
            if state.warned.contains(thumbprint) { return .already }
            guard state.warned.count < self.capacity else {
                if state.saidFull { return .already }
                state.saidFull = true
                return .full
            }
            state.warned.insert(thumbprint)
            return .warn
        }
        switch outcome {
        case .warn:
            self.logger.warning(
                "client certificate expires soon",
                metadata: [
                    "subject": "\(leaf.subject)", "sha256": "\(thumbprint)",
                    "daysLeft": "\(Int((left / 86_400).rounded(.down)))", "notAfter": "\(leaf.notAfter)",
                    "policy": "\(policy)",
                ]
            )
        case .full:
            self.logger.warning(
                "expiry warnings: more certificates expire soon than are remembered per day; no more warnings today",
                metadata: ["capacity": "\(self.capacity)"]
            )
        case .already:
            break
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    fileprivate var timeInterval: TimeInterval {
        Double(self.components.seconds) + Double(self.components.attoseconds) * 1e-18
    }
}
