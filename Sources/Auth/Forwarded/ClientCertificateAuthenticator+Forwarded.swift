import Foundation
import GatehouseCertificates
import GatehouseTransport

extension ClientCertificateAuthenticator {
    /// The answer for a request a trusted proxy forwarded `forwarded` with: its chain evaluated as a directly
    /// presented one would be (same checks, reasons, log lines and counters; the verified-chain cache, keyed by the
    /// chain, makes a repeated chain verify once), but per request, never cached on the connection: the proxy
    /// carries many clients' requests. No forwarded chain is no certificate, never the proxy's own.
    func forwardedAnswer(_ forwarded: ForwardedClientCertificate, context: RequestContext) -> ConnectionDecision.Answer
    {
        let now = self.now()
        let policy = self.policy.snapshot.policy
        var decision = policy.evaluate(chain: forwarded.chain, verifiedChain: nil, at: now)
        if case .accepted(let identity) = decision { decision = .accepted(identity.forwarded(by: forwarded.proxy)) }
        return self.answer(
            for: decision,
            policy: policy,
            leaf: forwarded.leaf,
            connection: context.connection.id,
            forwardedBy: forwarded.proxy,
            at: now
        ).0
    }
}
