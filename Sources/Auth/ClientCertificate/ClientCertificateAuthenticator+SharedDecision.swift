import Foundation
import GatehouseCertificates
import GatehouseTransport
import Synchronization

/// Connections that present the same verified chain share one accepted decision: it lives on the chain's entry of
/// the verified-chain cache (``VerifiedChainCache/Entry/derived``), and each connection's store keeps a reference to
/// it instead of a decision and an identity of its own (about 0.4 KB per connection; machine clients usually present
/// one certificate on many connections). A connection that finds it skips the policy's evaluation too.
///
/// The decision depends on nothing but the chain, the policy (its generation) and the time, which ``ConnectionDecision``
/// already records: the chain is the entry's presented one, which is then every such connection's peer chain. Only
/// acceptances are shared (a refusal is logged with its connection), and not under a policy with OCSP, whose status
/// a new connection asks for again.
extension ClientCertificateAuthenticator {
    /// This authenticator's accepted decision on the chain of `tls`, made by another connection under `generation`
    /// and still valid at `now`.
    func sharedDecision(on tls: TLSSessionInfo, generation: UInt64, at now: Date) -> ConnectionDecision? {
        guard let entry = tls.verifiedChain, entry.presented != nil,
            let decision = entry.derived.withLock({ $0 }) as? ConnectionDecision,
            decision.owner === self.cacheToken, decision.holds(generation: generation, at: now)
        else { return nil }
        return decision
    }

    /// Makes `decision` (``sharedDecision(on:generation:at:)``, the only one the connection needs) the connection's,
    /// and counts it as the connection's decision, as a decision of its own would have been.
    func adopt(_ decision: ConnectionDecision, in context: RequestContext, at now: Date) -> ConnectionDecision.Answer {
        if case .authenticated(let identity) = decision.answer { self.monitor.allowed(identity.certificate, at: now) }
        context.connectionStore[ConnectionDecisions.self] = decision
        return decision.answer
    }

    /// Offers `decision`, just made and stored for a connection, to the other connections that present its chain,
    /// when it can be shared: an acceptance by a policy without OCSP, on a chain whose entry holds it as presented,
    /// and alone in the connection's list.
    func share(_ decision: ConnectionDecision, on tls: TLSSessionInfo, policy: ClientCertificatePolicy) {
        guard decision.next == nil, policy.ocsp == nil, case .authenticated = decision.answer,
            let entry = tls.verifiedChain, entry.presented != nil
        else { return }
        entry.derived.withLock { $0 = decision }
    }
}
