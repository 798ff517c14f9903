import Synchronization

/// The current policy and its generation: the seam a reload swaps a new policy through.
///
/// Reading ``current`` is a short lock and two copies (it happens once per request); ``replace(with:)``
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
    private let state: Mutex<(policy: ClientCertificatePolicy, generation: UInt64)>

    /// Holds `policy` as generation 1.
    public init(_ policy: ClientCertificatePolicy) {
        self.state = Mutex((policy, 1))
    }

    /// The current policy and its generation (starts at 1, grows by one per replacement).
    public var current: (policy: ClientCertificatePolicy, generation: UInt64) {
        self.state.withLock { $0 }
    }

    /// Swaps in `policy` and bumps the generation.
    public func replace(with policy: ClientCertificatePolicy) {
        self.state.withLock { $0 = (policy, $0.generation + 1) }
    }
}
