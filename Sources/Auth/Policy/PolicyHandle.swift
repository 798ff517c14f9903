import Synchronization

/// The current policy and its generation: the seam a reload swaps a new policy through.
///
/// Reading ``generation`` is one atomic load, which is all a request on an already-decided connection pays;
/// reading ``current`` is a short lock and one retain (once per connection, or after a reload).
/// ``replace(with:)`` bumps the generation, so every connection's cached decision is re-evaluated on its next
/// request. A request already past authentication keeps the policy it started with.
///
/// ```swift
/// let handle = PolicyHandle(try ClientCertificatePolicy.load(configuration, name: "partners", relativeTo: dir))
/// let authenticator = ClientCertificateAuthenticator(policy: handle, logger: logger)
/// // on reload, off the event loop:
/// handle.replace(with: try ClientCertificatePolicy.load(newConfiguration, name: "partners", relativeTo: dir))
/// ```
public final class PolicyHandle: Sendable {
    /// One policy with its generation, swapped whole: reading it costs one retain, not a copy of the policy.
    final class Snapshot: Sendable {
        let policy: ClientCertificatePolicy
        let generation: UInt64

        init(policy: ClientCertificatePolicy, generation: UInt64) {
            self.policy = policy
            self.generation = generation
        }
    }

    private let state: Mutex<Snapshot>
    /// The snapshot's generation, readable without the lock; written under it, after the snapshot.
    private let latestGeneration = Atomic<UInt64>(1)

    /// Holds `policy` as generation 1.
    public init(_ policy: ClientCertificatePolicy) {
        self.state = Mutex(Snapshot(policy: policy, generation: 1))
    }

    /// The current policy and its generation (starts at 1, grows by one per replacement).
    public var current: (policy: ClientCertificatePolicy, generation: UInt64) {
        let snapshot = self.snapshot
        return (snapshot.policy, snapshot.generation)
    }

    /// The current generation: one atomic load, no lock. A decision made under this generation still holds.
    public var generation: UInt64 {
        self.latestGeneration.load(ordering: .acquiring)
    }

    /// The current policy and generation as one object (read when a decision is made).
    var snapshot: Snapshot {
        self.state.withLock { $0 }
    }

    /// Swaps in `policy` and bumps the generation.
    public func replace(with policy: ClientCertificatePolicy) {
        self.state.withLock { snapshot in
            snapshot = Snapshot(policy: policy, generation: snapshot.generation + 1)
            self.latestGeneration.store(snapshot.generation, ordering: .releasing)
        }
    }
}
