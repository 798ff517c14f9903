import Foundation
import GatehouseCertificates

extension ClientCertificatePolicy {
    /// Until when an accepted `identity` stays accepted: the earliest time a check that passed would fail.
    ///
    /// That is the leaf's notAfter (when `validateNotAfter`), and with trust validation the notAfter of every CA
    /// certificate of the verified chain and, with revocation checks, the CRLs' nextUpdate (chain verification
    /// checks both against the time). A connection's cached decision is re-evaluated after it.
    func expiry(of identity: ClientCertificateIdentity) -> Date {
        var expiry = self.configuration.validateNotAfter ? identity.notAfter : .distantFuture
        guard self.configuration.validateTrust else { return expiry }
        for certificate in identity.verifiedChain.dropFirst() {
            expiry = min(expiry, certificate.notAfter)
        }
        if self.configuration.validateRevocation {
            for crl in self.crls {
                if let nextUpdate = crl.nextUpdate { expiry = min(expiry, nextUpdate) }
            }
        }
        return expiry
    }
}
