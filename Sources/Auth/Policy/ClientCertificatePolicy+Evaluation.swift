public import Foundation
public import GatehouseCertificates

extension ClientCertificatePolicy {
    /// Decides whether `chain` passes this policy at `now`.
    ///
    /// Checks run in a fixed order and every failure is recorded: the leaf's notBefore and notAfter, the
    /// clientAuth EKU and "not a CA", the allow-list, trust (`X509_verify_cert` against `trustedCAs` with the
    /// client's next `maxChainDepth + 1` certificates and `intermediates` as untrusted, every CA allowed to issue
    /// client certificates, CRLs when `validateRevocation`, and `maxChainDepth`), then the identities: all rules must pass, then one identity must match.
    ///
    /// The leaf's own validity is this method's check, so the chain verification forgives only the leaf's
    /// time errors: CA certificates and CRLs are always checked against `now`.
    /// - Parameters:
    ///   - chain: the client's chain, leaf first, as sent; empty when it sent no certificate.
    ///   - now: the time to check validity and CRLs at.
    public func evaluate(chain: [Certificate], at now: Date) -> PolicyDecision {
        guard let leaf = chain.first else {
            let failure = PolicyFailure(.noCertificate) { "the client sent no certificate" }
            return .rejected(
                PolicyRejection(
                    failures: [failure],
                    subject: nil,
                    sha256Thumbprint: nil,
                    unverifiedIdentity: nil
                )
            )
        }
        let facts = CertificateFacts(leaf)
        var failures = self.ruleFailures(facts, now: now)
        let isPinned = self.allowList?.pins(facts) ?? false
        var verifiedChain: [Certificate] = isPinned ? [leaf] : []
        if self.configuration.validateTrust, !isPinned {
            switch self.verifyTrust(chain, leafSHA256: facts.sha256, now: now) {
            case .verified(let verified): verifiedChain = verified
            case .failed(let failure): failures.append(failure)
            }
        } else if self.configuration.validateRevocation, let crl = self.crls.first(where: { $0.lists(leaf) }) {
            failures.append(PolicyFailure(.revoked) { "listed by the CRL of \(crl.issuer)" })
        }
        var matched: ClientCertificateIdentity.MatchedIdentity? = nil
        if !self.identities.isEmpty {
            let issuer =
                verifiedChain.count > 1 ? verifiedChain[1] : (leaf.isSelfIssued && !verifiedChain.isEmpty ? leaf : nil)
            if let index = self.identities.firstMatch(facts, issuer: issuer) {
                matched = .init(index: index, configuration: self.configuration.identities[index])
            } else {
                let count = self.identities.rules.count
                failures.append(PolicyFailure(.noIdentityMatched) { "none of the \(count) identities matched" })
            }
        }
        guard failures.isEmpty else {
            let identity = ClientCertificateIdentity(certificate: leaf, presentedChain: chain)
            return .rejected(
                PolicyRejection(
                    failures: failures,
                    subject: leaf.subject,
                    sha256Thumbprint: facts.sha256.hexString,
                    unverifiedIdentity: identity
                )
            )
        }
        return .accepted(
            ClientCertificateIdentity(
                certificate: leaf,
                presentedChain: chain,
                verifiedChain: verifiedChain,
                matchedIdentity: matched
            )
        )
    }

    /// The leaf's validity, usage and allow-list checks.
    private func ruleFailures(_ leaf: CertificateFacts, now: Date) -> [PolicyFailure] {
        var failures: [PolicyFailure] = []
        if self.configuration.validateNotBefore, now < leaf.notBefore {
            let notBefore = leaf.notBefore
            failures.append(PolicyFailure(.notYetValid) { "notBefore is \(notBefore)" })
        }
        if self.configuration.validateNotAfter, now > leaf.notAfter {
            let notAfter = leaf.notAfter
            failures.append(PolicyFailure(.expired) { "notAfter was \(notAfter)" })
        }
        if self.configuration.requireClientAuthEKU {
            if leaf.isCertificateAuthority {
                failures.append(PolicyFailure(.notAClientCertificate) { "the certificate is a CA certificate" })
            } else if !leaf.allowsClientAuthentication {
                failures.append(
                    PolicyFailure(.notAClientCertificate) {
                        "extendedKeyUsage does not include clientAuth"
                    }
                )
            }
        }
        if let allowList = self.allowList, !allowList.admits(leaf) {
            let match = allowList.match
            let count = allowList.count
            failures.append(
                PolicyFailure(.notOnAllowList) {
                    "not among the \(count) listed certificates (compared by \(match.rawValue))"
                }
            )
        }
        return failures
    }

    /// Verifies the chain to `trustedCAs`; the verified chain, or why not. A leaf verified before (by any
    /// chain, including the original chain of a resumed session that now presents only the leaf) is answered
    /// from the ``VerificationCache`` while its path's CA certificates and CRLs are valid at `now`.
    private func verifyTrust(_ chain: [Certificate], leafSHA256: [UInt8], now: Date) -> TrustOutcome {
        if let cached = self.verificationCache.chain(forLeaf: leafSHA256, at: now) { return .verified(cached) }
        let revocation: RevocationCheck =
            !self.configuration.validateRevocation
            ? .none : self.configuration.validateRevocationForWholeChain ? .wholeChain : .leaf
        // TLS client authentication for every CA of the path (an intermediate limited to other purposes fails);
        // the leaf's own usage is the rule check's (`requireClientAuthEKU`), which also turns the CA check off.
        let options = ChainVerificationOptions(
            time: now,
            purpose: self.configuration.requireClientAuthEKU ? .clientAuth : .any,
            crls: self.crls,
            revocation: revocation,
            checksLeafValidity: false,
            checksLeafPurpose: false,
            maxIntermediates: self.configuration.maxChainDepth
        )
        // The leaf, at most `maxChainDepth` intermediates and the root: anything further cannot be on the path.
        let considered = Array(chain.prefix(self.configuration.maxChainDepth + 2))
        let verification = self.trustStore.verifyChain(considered, untrusted: self.intermediates, options: options)
        let result = verification.result
        let depth = verification.errorDepth
        if result.isRevoked {
            return .failed(PolicyFailure(.revoked) { "\(result) (depth \(depth))" })
        }
        if result.code == CertificateVerifyResult.chainTooLong.code {
            let limit = self.configuration.maxChainDepth
            return .failed(PolicyFailure(.chainTooDeep) { "more than \(limit) intermediate CAs: \(result)" })
        }
        guard result.isOK else { return .failed(PolicyFailure(.untrusted) { "\(result) (depth \(depth))" }) }
        let intermediates = max(0, verification.chain.count - 2)
        if intermediates > self.configuration.maxChainDepth {
            let limit = self.configuration.maxChainDepth
            return .failed(PolicyFailure(.chainTooDeep) { "\(intermediates) intermediate CAs, at most \(limit)" })
        }
        self.verificationCache.store(
            verification.chain,
            forLeaf: leafSHA256,
            crls: revocation == .none ? [] : self.crls
        )
        return .verified(verification.chain)
    }
}

/// The trust check's outcome: the verified chain, or why not.
private enum TrustOutcome {
    case verified([Certificate])
    case failed(PolicyFailure)
}
