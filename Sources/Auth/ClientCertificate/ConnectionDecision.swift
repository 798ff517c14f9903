import Foundation
import GatehouseTransport

/// One authenticator's decision on one connection, ready to be answered again: its result, the policy generation it
/// was made under, and until when it holds.
///
/// Immutable; the connection's ``ConnectionStore`` holds a short list of them (one per authenticator that saw
/// the connection, usually one), and a new decision replaces its authenticator's node by rebuilding the list.
final class ConnectionDecision: Sendable {
    /// What a request gets while the decision holds.
    typealias Answer = AuthenticationResult<ClientCertificateIdentity>

    /// The authenticator that made it.
    let owner: CacheToken
    /// The ``PolicyHandle`` generation it was made under.
    let generation: UInt64
    /// The earliest time anything it relied on expires (see ``ClientCertificatePolicy/expiry(of:)``);
    /// `distantFuture` for a rejection, which stands for the connection's life or until a reload.
    let validUntil: Date
    let answer: Answer
    /// The other authenticators' decisions on the same connection.
    let next: ConnectionDecision?

    init(owner: CacheToken, generation: UInt64, validUntil: Date, answer: Answer, next: ConnectionDecision?) {
        self.owner = owner
        self.generation = generation
        self.validUntil = validUntil
        self.answer = answer
        self.next = next
    }

    /// The decision of `owner` in the list starting at `self`, if any.
    func find(_ owner: CacheToken) -> ConnectionDecision? {
        self.owner === owner ? self : self.next?.find(owner)
    }

    /// Whether the decision still stands: made under `generation` and nothing it relied on expired at `now`.
    func holds(generation: UInt64, at now: Date) -> Bool {
        self.generation == generation && now <= self.validUntil
    }

    /// The most decisions one connection keeps. Each authenticator instance has its own node, and a reload builds
    /// new authenticators, so without a bound a long-lived connection would gain a node at every reload.
    static let maxPerConnection = 16

    /// The list starting at `self` without `owner`'s decision and with at most `limit` nodes: the oldest go
    /// first (they belong to authenticators a reload replaced, which never ask again).
    func removing(_ owner: CacheToken, keepingAtMost limit: Int = maxPerConnection - 1) -> ConnectionDecision? {
        guard limit > 0 else { return nil }
        if self.owner === owner { return self.next?.removing(owner, keepingAtMost: limit) }
        let rest = self.next?.removing(owner, keepingAtMost: limit - 1)
        if rest === self.next { return self }
        return ConnectionDecision(
            owner: self.owner,
            generation: self.generation,
            validUntil: self.validUntil,
            answer: self.answer,
            next: rest
        )
    }
}

/// The connection's client-certificate decisions: the head of the ``ConnectionDecision`` list.
enum ConnectionDecisions: ConnectionStoreKey {
    typealias Value = ConnectionDecision
}

/// An object whose identity names one authenticator instance.
final class CacheToken: Sendable {}
