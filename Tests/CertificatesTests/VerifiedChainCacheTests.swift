import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import TestSupport
import Testing

@Suite("Verified-chain cache: one bounded cache keyed by chain and trust generation")
struct VerifiedChainCacheTests {
    let pki: TestPKI
    init() throws { self.pki = try TestPKI.shared() }

    /// Verifies `chain` through `cache` under `generation` as a policy does (leaf time and purpose forgiven),
    /// against the test root and `crls`.
    private func verify(
        _ chain: [Certificate],
        in cache: VerifiedChainCache,
        generation: TrustGeneration,
        crls: [CertificateRevocationList] = [],
        revocation: RevocationCheck = .none
    ) -> VerifiedChainCache.Outcome {
        let store = self.pki.makeTrustStore()
        let options = ChainVerificationOptions(
            time: self.pki.referenceTime,
            purpose: .clientAuth,
            crls: crls,
            revocation: revocation,
            checksLeafValidity: false,
            checksLeafPurpose: false,
            maxIntermediates: VerifiedChainCache.verificationDepth
        )
        return cache.verify(chain, known: nil, generation: generation, at: self.pki.referenceTime, crls: crls) {
            store.verifyChain($0, options: options)
        }
    }

    private var generation: TrustGeneration {
        TrustGeneration.of(trustedCAs: [self.pki.rootCA], purpose: .clientAuth)
    }

    @Test func manyDistinctVerifiedChainsStayWithinTheEntryAndByteBounds() throws {
        let byCount = VerifiedChainCache(limits: VerificationCacheLimits(maxEntries: 8, maxBytes: 1 << 20))
        let byBytes = VerifiedChainCache(limits: VerificationCacheLimits(maxEntries: 1_000, maxBytes: 32 * 1024))
        for index in 0..<24 {
            let client = try self.pki.client(named: "bounded-client-\(index)")
            for cache in [byCount, byBytes] {
                guard case .verified = self.verify(client.chain, in: cache, generation: self.generation) else {
                    Issue.record("client \(index) did not verify")
                    return
                }
                let statistics = cache.statistics
                #expect(statistics.count <= cache.limits.maxEntries, "\(statistics)")
                #expect(statistics.bytes <= cache.limits.maxBytes, "\(statistics)")
            }
        }
        #expect(byCount.statistics.count == 8 && byCount.statistics.evictions == 16)
        // Each entry costs about 10 KiB here (a parsed leaf and the path's DER): three fit in 32 KiB.
        #expect(byBytes.statistics.count >= 2 && byBytes.statistics.count <= 4, "\(byBytes.statistics)")
        #expect(byBytes.statistics.misses == 24 && byBytes.statistics.hits == 0)
    }

    @Test func aRecentlyUsedChainSurvivesTheClockHand() throws {
        let cache = VerifiedChainCache(limits: VerificationCacheLimits(maxEntries: 2))
        let kept = self.pki.client.chain
        _ = self.verify(kept, in: cache, generation: self.generation)
        for index in 0..<4 {
            _ = self.verify(kept, in: cache, generation: self.generation)  // used since the hand last passed
            _ = self.verify(
                try self.pki.client(named: "passing-client-\(index)").chain,
                in: cache,
                generation: self.generation
            )
        }
        #expect(cache.statistics.hits == 4 && cache.statistics.count == 2)
    }

    @Test func aLeafAloneFindsItsVerifiedChain() throws {
        let cache = VerifiedChainCache()
        guard case .verified(let full) = self.verify(self.pki.client.chain, in: cache, generation: self.generation)
        else {
            Issue.record("the client's chain did not verify")
            return
        }
        // A resumed session presents only its leaf, which cannot be verified from scratch against the root.
        guard
            case .verified(let resumed) = self.verify(
                [self.pki.client.certificate],
                in: cache,
                generation: self.generation
            )
        else {
            Issue.record("the leaf alone did not find its entry")
            return
        }
        #expect(resumed === full)
        #expect(full.path == [self.pki.client.certificate, self.pki.intermediateCA, self.pki.rootCA])
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)
    }

    @Test func aLongerChainIsAnsweredOnlyByItsOwnEntry() throws {
        let cache = VerifiedChainCache()
        _ = self.verify(self.pki.client.chain, in: cache, generation: self.generation)
        // The client's leaf without its intermediate, padded: it verifies on its own or not at all, whatever chains
        // of the same leaf verified before.
        let padded = [self.pki.client.certificate, self.pki.strangerCA]
        guard case .failed = self.verify(padded, in: cache, generation: self.generation) else {
            Issue.record("a padded chain was answered from another chain's entry")
            return
        }
        #expect(cache.statistics.hits == 0 && cache.statistics.misses == 2)
    }

    @Test func onlyVerifiedChainsTakeASlot() throws {
        let cache = VerifiedChainCache()
        for client in [self.pki.strangerClient, self.pki.selfSignedClient] {
            for _ in 1...3 {
                guard case .failed = self.verify(client.chain, in: cache, generation: self.generation) else {
                    Issue.record("\(client.name) verified")
                    return
                }
            }
        }
        #expect(cache.statistics.count == 0 && cache.statistics.misses == 6)
    }

    @Test func theGenerationIsTheTrustMaterials() throws {
        let root = self.pki.rootCA
        let crl = try self.pki.intermediateAuthority.issueCRL(
            revoking: [],
            lastUpdate: self.pki.referenceTime.addingTimeInterval(-60),
            nextUpdate: self.pki.referenceTime.addingTimeInterval(3_600)
        )
        let plain = TrustGeneration.of(trustedCAs: [root], purpose: .clientAuth)
        #expect(TrustGeneration.of(trustedCAs: [root, root], purpose: .clientAuth) == plain)
        #expect(TrustGeneration.of(trustedCAs: [root], crls: [crl], purpose: .clientAuth) == plain)  // not checked
        #expect(TrustGeneration.of(trustedCAs: [root], purpose: .any) != plain)
        #expect(
            TrustGeneration.of(trustedCAs: [root], intermediates: [self.pki.intermediateCA], purpose: .clientAuth)
                != plain
        )
        #expect(TrustGeneration.of(trustedCAs: [root], crls: [crl], purpose: .clientAuth, revocation: .leaf) != plain)
        #expect(TrustGeneration.of(trustedCAs: [root, self.pki.strangerCA], purpose: .clientAuth) != plain)
    }

    @Test func aReloadedCRLCatchesACertificateRevokedSince() throws {
        let cache = VerifiedChainCache()
        let client = self.pki.client.chain
        let (from, until) = (
            self.pki.referenceTime.addingTimeInterval(-60), self.pki.referenceTime.addingTimeInterval(3_600)
        )
        let before = try self.pki.intermediateAuthority.issueCRL(revoking: [], lastUpdate: from, nextUpdate: until)
        let after = try self.pki.intermediateAuthority.issueCRL(
            revoking: [self.pki.client.certificate],
            lastUpdate: from,
            nextUpdate: until
        )
        func generation(_ crl: CertificateRevocationList) -> TrustGeneration {
            TrustGeneration.of(trustedCAs: [self.pki.rootCA], crls: [crl], purpose: .clientAuth, revocation: .leaf)
        }
        for _ in 1...2 {
            guard
                case .verified(let entry) = self.verify(
                    client,
                    in: cache,
                    generation: generation(before),
                    crls: [before],
                    revocation: .leaf
                )
            else {
                Issue.record("the client was refused before its revocation")
                return
            }
            // The CRL's nextUpdate bounds the entry.
            #expect(Int(entry.validUntil) == Int(before.nextUpdate?.timeIntervalSince1970 ?? 0))
        }
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)
        guard
            case .failed(let verification) = self.verify(
                client,
                in: cache,
                generation: generation(after),
                crls: [after],
                revocation: .leaf
            )
        else {
            Issue.record("the revoked client verified from the cache")
            return
        }
        #expect(verification.result.isRevoked)
        #expect(cache.statistics.count == 1 && cache.statistics.misses == 2)
    }
}
