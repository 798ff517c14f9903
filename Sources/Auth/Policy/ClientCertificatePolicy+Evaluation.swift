public import Foundation
public import GatehouseCertificates

extension ClientCertificatePolicy {
    /// Decides whether `chain` passes this policy at `now`.
    ///
    /// Checks run in a fixed order and every failure is recorded: the leaf's notBefore and notAfter, the
    /// clientAuth EKU and "not a CA", the allow-list, trust (`X509_verify_cert` against `trustedCAs` with the
    /// client's next certificates and `intermediates` as untrusted, every CA allowed to issue client certificates,
    /// CRLs when `validateRevocation`, and `maxChainDepth`), then the identities: all rules must pass, then one
    /// identity must match. A chain verified before under the same trust material is answered from the
    /// verified-chain cache while its CA certificates and CRLs are valid at `now`.
    ///
    /// The leaf's own validity is this method's check, so the chain verification forgives only the leaf's
    /// time errors: CA certificates and CRLs are always checked against `now`.
    /// - Parameters:
    ///   - chain: the client's chain, leaf first, as sent; empty when it sent no certificate.
    ///   - now: the time to check validity and CRLs at.
    public func evaluate(chain: [Certificate], at now: Date) -> PolicyDecision {
        self.evaluate(chain: chain, verifiedChain: nil, at: now)
    }

    /// Decides whether `chain` passes this policy at `now`, as ``evaluate(chain:at:)``; `verifiedChain` is the
    /// connection's entry of the verified-chain cache (its handshake's verification), taken as this policy's
    /// verification when its trust generation is the policy's, and looked up without hashing the chain again
    /// otherwise.
    package func evaluate(
        chain: [Certificate],
        verifiedChain entry: VerifiedChainCache.Entry?,
        at now: Date
    ) -> PolicyDecision {
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
            switch self.verifyTrust(chain, known: entry, leafSHA256: facts.sha256, now: now) {
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

    /// Verifies the chain to `trustedCAs` through the verified-chain cache; the verified chain, or why not.
    ///
    /// The verification is the one every user of the cache shares for this trust material: the leaf's own time and
    /// purpose are forgiven (they are this policy's rule checks), CA certificates must allow TLS client
    /// authentication when `requireClientAuthEKU` (an intermediate limited to other purposes fails), and the path
    /// may have up to ``VerifiedChainCache/verificationDepth`` intermediates; `maxChainDepth` is checked on it.
    private func verifyTrust(
        _ chain: [Certificate],
        known: VerifiedChainCache.Entry?,
        leafSHA256: [UInt8],
        now: Date
    ) -> TrustOutcome {
        let revocation = self.configuration.revocationCheck
        let crls = revocation == .none ? [] : self.crls
        let options = ChainVerificationOptions(
            time: now,
            purpose: self.configuration.requireClientAuthEKU ? .clientAuth : .any,
            crls: crls,
            revocation: revocation,
            checksLeafValidity: false,
            checksLeafPurpose: false,
            maxIntermediates: VerifiedChainCache.verificationDepth
        )
        let outcome = self.verifiedChains.verify(
            chain,
            known: known,
            leafSHA256: leafSHA256,
            generation: self.trustGeneration,
            at: now,
            crls: crls
        ) { considered in
            self.trustStore.verifyChain(considered, untrusted: self.intermediates, options: options)
        }
        let limit = self.configuration.maxChainDepth
        switch outcome {
        case .verified(let entry):
            let intermediates = entry.intermediateCount
            guard intermediates <= limit else {
                return .failed(PolicyFailure(.chainTooDeep) { "\(intermediates) intermediate CAs, at most \(limit)" })
            }
            return .verified(entry.path)
        case .failed(let verification):
            let result = verification.result
            let depth = verification.errorDepth
            if result.isRevoked {
                return .failed(PolicyFailure(.revoked) { "\(result) (depth \(depth))" })
            }
            if result.code == CertificateVerifyResult.chainTooLong.code {
                return .failed(PolicyFailure(.chainTooDeep) { "more than \(limit) intermediate CAs: \(result)" })
            }
            return .failed(PolicyFailure(.untrusted) { "\(result) (depth \(depth))" })
        }
    }
}

extension PolicyConfiguration {
    /// Which certificates of a chain the policy checks against its CRLs.
    var revocationCheck: RevocationCheck {
        !self.validateRevocation ? .none : self.validateRevocationForWholeChain ? .wholeChain : .leaf
    }
}

/// The trust check's outcome: the verified chain, or why not.
private enum TrustOutcome {
    case verified([Certificate])
    case failed(PolicyFailure)
}
