import Synchronization

/// The current policy and its generation: the seam a reload swaps a new policy through.
///
/// Reading ``current`` is a short lock and one retain (it happens once per request); ``replace(with:)``
/// bumps the generation, so every connection's cached decision is re-evaluated on its next request. A
/// request already past authentication keeps the policy it started with.
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

    /// Holds `policy` as generation 1.
    public init(_ policy: ClientCertificatePolicy) {
        self.state = Mutex(Snapshot(policy: policy, generation: 1))
    }

    /// The current policy and its generation (starts at 1, grows by one per replacement).
    public var current: (policy: ClientCertificatePolicy, generation: UInt64) {
        let snapshot = self.snapshot
        return (snapshot.policy, snapshot.generation)
    }

    /// The current policy and generation as one object (the per-request read of the authenticator).
    var snapshot: Snapshot {
        self.state.withLock { $0 }
    }

    /// Swaps in `policy` and bumps the generation.
    public func replace(with policy: ClientCertificatePolicy) {
        self.state.withLock { $0 = Snapshot(policy: policy, generation: $0.generation + 1) }
    }
}
