import Foundation
import GatehouseCertificates
import GatehouseTransport

extension ClientCertificateAuthenticator {
    /// The answer for a request a trusted proxy forwarded `forwarded` with: its chain evaluated as a directly
    /// presented one would be (same checks, reasons, log lines and counters; the verified-chain cache, keyed by the
    /// chain, makes a repeated chain verify once), but per request, never cached on the connection: the proxy
    /// carries many clients' requests. No forwarded chain is no certificate, never the proxy's own. `nil` when the
    /// policy's OCSP responder must be asked first (``forwardedAnswerAskingResponder(_:context:)``).
    func forwardedAnswer(_ forwarded: ForwardedClientCertificate, context: RequestContext) -> ConnectionDecision.Answer?
    {
        let now = self.now()
        let policy = self.policy.snapshot.policy
        let evaluation = policy.evaluate(chain: forwarded.chain, verifiedChain: nil, at: now, revocation: nil)
        guard case .decided(let decision, _, let softFailure) = evaluation else { return nil }
        return self.forwardedAnswer(decision, softFailure: softFailure, forwarded, policy: policy, context, at: now)
    }

    /// ``forwardedAnswer(_:context:)`` after asking the policy's OCSP responder about the forwarded certificate (or
    /// finding its status cached meanwhile).
    func forwardedAnswerAskingResponder(
        _ forwarded: ForwardedClientCertificate,
        context: RequestContext
    ) async -> ConnectionDecision.Answer {
        let now = self.now()
        let policy = self.policy.snapshot.policy
        var revocation: OCSPStatusCache.Entry? = nil
        while true {
            switch policy.evaluate(chain: forwarded.chain, verifiedChain: nil, at: now, revocation: revocation) {
            case .pending(let identity, let checker):
                // Given the entry, the next evaluation decides: the loop runs at most twice.
                revocation = await checker.resolve(identity, at: now)
            case .decided(let decision, _, let softFailure):
                return self.forwardedAnswer(
                    decision,
                    softFailure: softFailure,
                    forwarded,
                    policy: policy,
                    context,
                    at: now
                )
            }
        }
    }

    private func forwardedAnswer(
        _ decision: PolicyDecision,
        softFailure: OCSPError?,
        _ forwarded: ForwardedClientCertificate,
        policy: ClientCertificatePolicy,
        _ context: RequestContext,
        at now: Date
    ) -> ConnectionDecision.Answer {
        var decision = decision
        if case .accepted(let identity) = decision { decision = .accepted(identity.forwarded(by: forwarded.proxy)) }
        return self.answer(
            for: decision,
            policy: policy,
            leaf: forwarded.leaf,
            connection: context.connection.id,
            forwardedBy: forwarded.proxy,
            softFailure: softFailure,
            at: now
        ).0
    }
}
