import Foundation
import GatehouseCertificates

/// A policy's decision with its OCSP check applied, or the need to ask the responder first.
enum RevocationCheckedDecision {
    /// Decided: the policy's decision, until when it holds, and the failure a `softFail` check let through.
    case decided(PolicyDecision, validUntil: Date, softFailure: OCSPError?)
    /// Accepted by every other check; the OCSP status must be asked for (asynchronously) before deciding.
    case pending(ClientCertificateIdentity, OCSPChecker)
}

extension ClientCertificatePolicy {
    /// Decides as ``evaluate(chain:verifiedChain:at:)`` and then, for an accepted certificate of a policy with
    /// `ocsp`, applies the certificate's OCSP status: `revocation` when given, else the cached one; `pending` when
    /// neither is known.
    func evaluate(
        chain: [Certificate],
        verifiedChain: VerifiedChainCache.Entry?,
        at now: Date,
        revocation: OCSPStatusCache.Entry?
    ) -> RevocationCheckedDecision {
        let decision = self.evaluate(chain: chain, verifiedChain: verifiedChain, at: now)
        guard case .accepted(let identity) = decision else {
            return .decided(decision, validUntil: .distantFuture, softFailure: nil)
        }
        guard let ocsp = self.ocsp else {
            return .decided(decision, validUntil: self.expiry(of: identity), softFailure: nil)
        }
        guard let entry = revocation ?? ocsp.knownEntry(for: identity, at: now) else { return .pending(identity, ocsp) }
        return self.apply(entry, to: identity, mode: ocsp.configuration.mode)
    }

    /// `good` accepts; `revoked` refuses with reason `revoked`; anything else refuses with `revocation_unknown`
    /// under `hardFail` and accepts (reporting the failure) under `softFail`. The decision holds until the status
    /// is asked again.
    private func apply(
        _ entry: OCSPStatusCache.Entry,
        to identity: ClientCertificateIdentity,
        mode: OCSPConfiguration.Mode
    ) -> RevocationCheckedDecision {
        let validUntil = min(self.expiry(of: identity), entry.validUntil)
        let failure: PolicyFailure
        let unknown: OCSPError
        switch entry.outcome {
        case .answered(let answer):
            switch answer.status {
            case .good:
                return .decided(.accepted(identity), validUntil: validUntil, softFailure: nil)
            case .revoked(let time):
                let when = time.map { " at \($0)" } ?? ""
                failure = PolicyFailure(.revoked) { "the OCSP responder says revoked\(when)" }
                return .decided(.rejected(Self.rejection(identity, failure)), validUntil: validUntil, softFailure: nil)
            case .unknown:
                unknown = OCSPError(.noStatus, "the OCSP responder does not know the certificate")
            }
        case .failed(let error):
            unknown = error
        }
        if mode == .softFail {
            return .decided(.accepted(identity), validUntil: validUntil, softFailure: unknown)
        }
        failure = PolicyFailure(.revocationUnknown) { "OCSP: \(unknown)" }
        return .decided(.rejected(Self.rejection(identity, failure)), validUntil: validUntil, softFailure: nil)
    }

    private static func rejection(_ identity: ClientCertificateIdentity, _ failure: PolicyFailure) -> PolicyRejection {
        PolicyRejection(
            failures: [failure],
            subject: identity.subject,
            sha256Thumbprint: identity.sha256Thumbprint,
            unverifiedIdentity: ClientCertificateIdentity(
                certificate: identity.certificate,
                presentedChain: identity.presentedChain
            )
        )
    }
}
