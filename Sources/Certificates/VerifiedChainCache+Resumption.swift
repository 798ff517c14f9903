import COpenSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension VerifiedChainCache {
    /// The newest entry of the leaf whose SHA-256 is `leafDigest` under `generation`, valid at `now` (seconds since
    /// 1970): a resumed session's, whose ticket names its leaf by digest.
    package func entry(forLeafDigest leafDigest: SHA256Digest, generation: TrustGeneration, at now: Int) -> Entry? {
        self.state.withLock { $0.lookup(leaf: leafDigest, generation, at: now) }
    }

    /// An entry for the leaf whose DER a session ticket carries, attesting that it verified under `generation`,
    /// for a process that did not verify its chain itself: its path is the leaf alone (the rest of the chain is not
    /// in the ticket), so a policy of that generation takes the verdict and checks the leaf with its own rules, and
    /// one of other material verifies the leaf again. `nil` when `leafDER` is empty (the ticket does not carry its
    /// leaf), does not parse, or is not the leaf whose SHA-256 is `leafDigest`. Not stored in the cache: it answers
    /// for this connection only.
    package func attestedEntry(leafDER: [UInt8], leafDigest: SHA256Digest, generation: TrustGeneration) -> Entry? {
        guard !leafDER.isEmpty, self.hasher.digest(leafDER) == leafDigest,
            let certificate = try? Certificate(derBytes: leafDER), certificate.derBytes == leafDER,
            let key = self.hasher.digest(chain: [leafDigest])
        else { return nil }
        return Entry(
            generation: generation,
            key: key,
            leafDigest: leafDigest,
            path: [certificate],
            presented: [certificate],
            crls: [],
            cost: Self.cost(of: [certificate])
        )
    }
}

extension VerifiedChainCache.Entry {
    /// Whether a handshake would accept the leaf at `now` (seconds since 1970): its purpose allows TLS client
    /// authentication and it is within its validity period.
    package func leafPassesHandshake(at now: Int) -> Bool { self.handshakeLeafError(at: time_t(now)) == X509_V_OK }
}
