import COpenSSL
package import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The client chains a server has verified, shared by its TLS handshakes and its policies, so a client's chain is
/// verified once — not at every handshake, and not again by each policy whose trust material is the listener's.
///
/// An entry (``Entry``) is keyed by the SHA-256 over the presented chain's per-certificate SHA-256s and by the
/// ``TrustGeneration`` of the material it was verified under; a second index by the leaf's SHA-256 answers a
/// resumed session, which presents only its leaf. Only chains that verify enter, so a client cannot fill the
/// cache with junk. An entry holds the verified path and the window in which it stays valid (every CA
/// certificate's validity, every checked CRL's thisUpdate to nextUpdate): a hit re-checks only that window. The
/// leaf's own validity and purpose are every user's own check (the handshake's as `X509_verify_cert` would, a
/// policy's by its rules), so they are not part of the shared verdict. A reload gives new trust material a new
/// generation and keeps the cache: the old generation's entries are no longer asked for and age out.
///
/// Bounded by ``VerificationCacheLimits`` (entries and bytes) with one eviction rule: the clock (second-chance)
/// hand frees the first entry unused since it last passed. A connection keeps a reference to its entry, so an
/// eviction frees the memory when the last connection that presented the chain closes.
///
/// Memory: OpenSSL parses every presented certificate into about 5.7 KiB. A handshake that hits swaps its parsed
/// certificates for the entry's (same DER), and intermediates of verified chains are shared by every chain that
/// presents them, so live sessions of one client, and clients of one intermediate, hold one copy each.
package final class VerifiedChainCache: Sendable {
    /// The most certificates of a presented chain that are kept and verified (the leaf first, then the next
    /// ones as sent): the deepest chain a policy accepts (``verificationDepth`` intermediates) plus the leaf and
    /// the root.
    package static let maxPresentedCertificates = 18
    /// The most intermediate CA certificates a verification builds a path through; a policy's `maxChainDepth`
    /// (at most this) is checked on the verified path, so policies of different depths share a verification.
    package static let verificationDepth = 16
    /// The most distinct intermediate certificates shared between chains.
    package static let intermediateCapacity = 1_000

    /// Counts of what the cache did, for tests and diagnostics.
    package struct Statistics: Sendable, Equatable {
        /// Verifications answered from the cache (a handshake's, or a policy's from a connection's entry).
        package var hits = 0
        /// Verifications that ran `X509_verify_cert` (not cached, or cached but outside its validity window).
        package var misses = 0
        /// Handshake verifications that skipped the cache because its context checks CRLs or no time.
        package var bypasses = 0
        /// Entries freed to make room.
        package var evictions = 0
        /// Entries in the cache.
        package var count = 0
        /// About the bytes the entries hold.
        package var bytes = 0
        /// Intermediate certificates shared between chains.
        package var sharedIntermediates = 0
    }

    /// The bounds.
    package let limits: VerificationCacheLimits
    let hasher = SHA256Hasher()
    let state: Mutex<VerifiedChainCacheState>

    /// Creates an empty cache with `limits` (at least one entry).
    package init(limits: VerificationCacheLimits = VerificationCacheLimits()) {
        let bounded = VerificationCacheLimits(maxEntries: max(1, limits.maxEntries), maxBytes: max(0, limits.maxBytes))
        self.limits = bounded
        self.state = Mutex(VerifiedChainCacheState(limits: bounded))
    }

    /// What the cache has done so far, and what it holds.
    package var statistics: Statistics {
        self.state.withLock { state in
            var statistics = state.statistics
            statistics.count = state.count
            statistics.bytes = state.bytes
            statistics.sharedIntermediates = state.intermediates.count
            return statistics
        }
    }

    /// The outcome of a verification through the cache.
    package enum Outcome {
        /// The chain verified: the entry with its path.
        case verified(Entry)
        /// It did not: OpenSSL's verdict.
        case failed(ChainVerification)
    }

    /// The verified entry of `chain` under `generation` at `now`: `known` (a connection's entry) when it is of
    /// that generation and valid, else the cached one of the presented chain (for a leaf alone, the newest of that
    /// leaf), else what `verification` says of the chain's first ``maxPresentedCertificates`` certificates, stored
    /// when it verified.
    ///
    /// - Parameters:
    ///   - chain: the presented chain, leaf first; not empty.
    ///   - known: the entry the connection's handshake verified `chain` into, if any: its digests are reused.
    ///   - leafSHA256: the leaf's SHA-256 when the caller has it (it is not hashed again).
    ///   - crls: the CRLs `verification` checks; their validity bounds the entry's.
    ///   - verification: verifies the chain with leaf time and purpose forgiven, through at most
    ///     ``verificationDepth`` intermediates.
    package func verify(
        _ chain: [Certificate],
        known: Entry?,
        leafSHA256: [UInt8]? = nil,
        generation: TrustGeneration,
        at now: Date,
        crls: [CertificateRevocationList],
        verification: ([Certificate]) -> ChainVerification
    ) -> Outcome {
        let seconds = Int(now.timeIntervalSince1970)
        if let known, known.generation == generation, known.isValid(at: seconds) {
            self.state.withLock { $0.statistics.hits += 1 }
            return .verified(known)
        }
        let considered = Array(chain.prefix(Self.maxPresentedCertificates))
        let keys = known.map { (key: $0.key, leaf: $0.leafDigest) } ?? self.keys(of: considered, leaf: leafSHA256)
        if let keys, let cached = self.cached({ $0.lookup(keys.key, generation, at: seconds) }) {
            return .verified(cached)
        }
        // A leaf alone (a resumed session's) is answered by any verified chain of that leaf; a longer chain only by
        // its own entry, so a chain's verdict never depends on which chains of its leaf came before.
        if considered.count == 1, let keys,
            let cached = self.cached({ $0.lookup(leaf: keys.leaf, generation, at: seconds) })
        {
            return .verified(cached)
        }
        let result = verification(considered)
        guard result.result.isOK, !result.chain.isEmpty, let keys else {
            self.state.withLock { $0.statistics.misses += 1 }
            return .failed(result)
        }
        let entry = Entry(
            generation: generation,
            key: keys.key,
            leafDigest: keys.leaf,
            path: result.chain,
            presented: nil,
            crls: crls,
            cost: Self.cost(of: result.chain)
        )
        self.state.withLock { state in
            state.statistics.misses += 1
            state.insert(entry, digests: [])
        }
        return .verified(entry)
    }

    /// What `lookup` finds, counted as a hit.
    private func cached(_ lookup: (inout VerifiedChainCacheState) -> Entry?) -> Entry? {
        self.state.withLock { state in
            let entry = lookup(&state)
            if entry != nil { state.statistics.hits += 1 }
            return entry
        }
    }

    /// The newest entry of `leaf` (an `X509*`) under `generation`, valid at `now`: a resumed session's.
    package func entry(forLeaf leaf: OpaquePointer, generation: TrustGeneration, at now: Int) -> Entry? {
        guard let digest = self.hasher.digest(x509: leaf) else { return nil }
        return self.state.withLock { $0.lookup(leaf: digest, generation, at: now) }
    }

    /// The presented chain's key and its leaf's digest (`leaf`, when given, is the leaf's SHA-256).
    private func keys(of chain: [Certificate], leaf: [UInt8]?) -> (key: SHA256Digest, leaf: SHA256Digest)? {
        var digests: [SHA256Digest] = []
        digests.reserveCapacity(chain.count)
        for (index, certificate) in chain.enumerated() {
            let given = index == 0 ? leaf.flatMap(SHA256Digest.init(bytes:)) : nil
            guard let digest = given ?? self.hasher.digest(certificate.derBytes) else { return nil }
            digests.append(digest)
        }
        guard let leaf = digests.first, let key = self.hasher.digest(chain: digests) else { return nil }
        return (key, leaf)
    }

    /// About the bytes an entry with `path` holds on its own: its parsed leaf (about 6 KiB plus twice the DER),
    /// the DER of the rest of its path (their parsed certificates belong to the trust store or are shared), 1 KiB.
    static func cost(of path: [Certificate]) -> Int {
        var cost = 1024
        for (index, certificate) in path.enumerated() {
            cost += index == 0 ? 6 * 1024 + 2 * certificate.derBytes.count : certificate.derBytes.count + 256
        }
        return cost
    }
}
