import Synchronization

/// Whether the service is ready for traffic, as `GET /readyz` answers it: not yet (listeners still binding), ready
/// (every listener bound, the configuration loaded), or draining (a graceful shutdown started).
public final class Readiness: Sendable {
    /// The service's state as `/readyz` reports it.
    public enum State: UInt8, Sendable {
        /// Starting: not every listener is bound yet. `/readyz` → 503.
        case starting
        /// Every listener is bound and the configuration loaded. `/readyz` → 200.
        case ready
        /// A graceful shutdown started: in-flight requests finish, no new traffic please. `/readyz` → 503.
        case draining
    }

    private let value = Atomic<UInt8>(State.starting.rawValue)

    /// Starts in ``State/starting``.
    public init() {}

    /// The state now.
    public var state: State { State(rawValue: self.value.load(ordering: .acquiring)) ?? .starting }

    /// Moves to `state`; draining is final.
    public func set(_ state: State) {
        var current = self.value.load(ordering: .acquiring)
        while current != State.draining.rawValue {
            let (exchanged, original) = self.value.compareExchange(
                expected: current,
                desired: state.rawValue,
                ordering: .acquiringAndReleasing
            )
            if exchanged { return }
            current = original
        }
    }
}
