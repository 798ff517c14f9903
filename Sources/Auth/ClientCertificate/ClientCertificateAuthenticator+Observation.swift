import GatehouseTransport

extension ClientCertificateAuthenticator {
    /// The connection's answer — or, when a trusted proxy forwarded a client certificate with the request, that
    /// certificate's — noted in the request's observation (for its access-log line and span) when something reads it.
    /// `nil` (and nothing noted) when the policy's OCSP responder must be asked first.
    func observedAnswer(for context: RequestContext) -> ConnectionDecision.Answer? {
        let answer: ConnectionDecision.Answer
        if let forwarded = context.forwardedClientCertificate {
            guard let forwardedAnswer = self.forwardedAnswer(forwarded, context: context) else { return nil }
            answer = forwardedAnswer
        } else {
            guard let connectionAnswer = self.answer(for: context) else { return nil }
            answer = connectionAnswer
        }
        if let observation = context.observation, observation.wantsDecision { self.note(answer, in: observation) }
        return answer
    }

    /// Records the policy's name and what it decided: `allowed` (reason `ok`), `reported` (report mode) or `refused`
    /// (with the reason code; no certificate is `no_certificate`).
    func note(_ answer: ConnectionDecision.Answer, in observation: RequestObservation) {
        // The monitor's name is the policy's, fixed at start: no lock on the policy handle per request.
        let policy = self.monitor.policy
        switch answer {
        case .authenticated:
            observation.recordDecision(.allowed, policy: policy, reason: "ok")
        case .notApplicable(let challenge):
            observation.recordDecision(.refused, policy: policy, reason: challenge.reason)
        case .refused(let refusal):
            observation.recordDecision(
                refusal.report == nil ? .refused : .reported,
                policy: policy,
                reason: refusal.reason
            )
        }
    }
}
