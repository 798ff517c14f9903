import COpenSSL
package import GatehouseCertificates
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Client chains a server context has verified during handshakes, so a returning client's chain is not
/// verified again by OpenSSL (`X509_verify_cert` is most of a full mutual-TLS handshake's cost in OpenSSL 3.0).
///
/// Installed with `SSL_CTX_set_cert_verify_callback`, it replaces OpenSSL's call to `X509_verify_cert`. The key
/// is the SHA-256 of the presented chain (the SHA-256 of each certificate's DER, leaf first, in the order sent);
/// the trust material is the owning ``TLSContext``'s and fixed for its life (a reload builds a new context, hence a
/// new cache). Only verified chains are stored, with the window in which every certificate of the verified path
/// (leaf to trust anchor) is valid: a hit re-checks only that window against the verification time, then hands
/// OpenSSL the cached verified path (`SSL_get0_verified_chain` stays right) and `X509_V_OK`
/// (`SSL_get_verify_result`). Outside the window, or on a miss, `X509_verify_cert` runs as OpenSSL would.
/// Failures are not stored: their verdict can change with time, and only chains from a trusted CA take a slot,
/// so clients cannot flood the cache. When the verification checks CRLs the cache is bypassed, so a revoked
/// certificate always fails. At most ``capacity`` chains are kept, evicted by the clock (second-chance) rule.
///
/// Memory: OpenSSL parses every presented certificate into about 5.7 KiB. A hit swaps the handshake's parsed
/// certificates for the cached ones (same DER), and intermediates of verified chains are shared by every chain
/// that presents them, so live sessions of one client, and clients of one intermediate, hold one copy each. An
/// entry keeps the presented certificates only when all of them are on the verified path (a chain padded with
/// others keeps its path and verdict only), and the entries are bounded in bytes as well as in number.
// @unchecked: the EVP_MD is fetched in init and only read; every mutable field is inside the Mutex.
package final class HandshakeVerificationCache: @unchecked Sendable {
    /// The default number of chains kept.
    package static let defaultCapacity = 10_000
    /// The default bound on the bytes the kept chains hold (about 4,000 chains of a 1 KiB leaf and an
    /// intermediate, counted whole although clients of one intermediate share it).
    package static let defaultByteCapacity = 64 * 1024 * 1024
    /// The most distinct intermediate certificates shared between chains.
    package static let intermediateCapacity = 1_000

    /// The most chains kept.
    package let capacity: Int
    private let sha256: OpaquePointer?  // EVP_MD*, owned
    private let state: Mutex<VerificationCacheState>

    /// Counts of what the cache did, for tests and diagnostics.
    package struct Statistics: Sendable, Equatable {
        /// Verifications answered from the cache.
        package var hits = 0
        /// Verifications that ran `X509_verify_cert` (not cached, or cached but outside its validity window).
        package var misses = 0
        /// Verifications that skipped the cache because CRLs are checked or the time check is off.
        package var bypasses = 0
        /// Chains in the cache.
        package var count = 0
        /// About the bytes the cached chains hold.
        package var bytes = 0
        /// Intermediate certificates shared between chains.
        package var sharedIntermediates = 0
    }

    /// Creates an empty cache holding at most `capacity` chains and about `byteCapacity` bytes of them.
    package init(
        capacity: Int = HandshakeVerificationCache.defaultCapacity,
        byteCapacity: Int = HandshakeVerificationCache.defaultByteCapacity
    ) {
        precondition(capacity > 0, "a verification cache needs room for one chain")
        self.capacity = capacity
        self.sha256 = EVP_MD_fetch(nil, "SHA256", nil)
        self.state = Mutex(
            VerificationCacheState(
                capacity: capacity,
                byteCapacity: byteCapacity,
                intermediateCapacity: Self.intermediateCapacity
            )
        )
    }

    deinit { EVP_MD_free(self.sha256) }

    /// What the cache has done so far.
    package var statistics: Statistics {
        self.state.withLock { state in
            var statistics = state.statistics
            statistics.count = state.index.count
            statistics.bytes = state.bytes
            statistics.sharedIntermediates = state.intermediates.count
            return statistics
        }
    }

    /// Verifies the chain in `storeContext` (an `X509_STORE_CTX*` OpenSSL prepared for the handshake), from the
    /// cache when it can; sets the error and verified chain on it as `X509_verify_cert` would.
    /// - Returns: what `X509_verify_cert` returns (1 when the handshake may go on).
    package func verify(storeContext: OpaquePointer) -> Int32 {
        let param = X509_STORE_CTX_get0_param(storeContext)
        let flags = param.map { X509_VERIFY_PARAM_get_flags($0) } ?? 0
        let bypassFlags = UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_NO_CHECK_TIME)
        guard flags & bypassFlags == 0, let sha256 = self.sha256,
            let presented = PresentedChain(storeContext, sha256: sha256)
        else {
            self.state.withLock { $0.statistics.bypasses += 1 }
            return X509_verify_cert(storeContext)
        }
        let now: time_t =
            flags & UInt(X509_V_FLAG_USE_CHECK_TIME) != 0 ? X509_VERIFY_PARAM_get_time(param) : time(nil)
        let (cached, intermediates) = self.state.withLock {
            ($0.lookup(presented.key, at: now), $0.intermediates(for: presented.digests))
        }
        if let cached {
            cached.share(into: storeContext)
            if let copy = X509_chain_up_ref(cached.stack) {
                X509_STORE_CTX_set0_verified_chain(storeContext, copy)
            }
            X509_STORE_CTX_set_error(storeContext, X509_V_OK)
            return 1
        }
        presented.adopt(intermediates)
        let result = X509_verify_cert(storeContext)
        if result == 1, X509_STORE_CTX_get_error(storeContext) == X509_V_OK,
            let verified = X509_STORE_CTX_get1_chain(storeContext)
        {
            let entry = VerifiedChain(takingOwnership: verified, presented: presented, intermediates: intermediates)
            self.state.withLock { $0.insert(entry, for: presented.key, digests: presented.digests) }
        } else {
            self.state.withLock { $0.statistics.misses += 1 }
        }
        return result
    }

    /// The certificates of a cached chain, as ``Certificate`` objects shared by every connection that presented
    /// it, when `peerLeaf` (an `X509*`) is that chain's leaf; `nil` otherwise.
    ///
    /// After a verification through the cache, a session's peer certificates are the cache's own parsed objects,
    /// so the identity of every connection of one client refers to one set of certificates.
    package func presentedCertificates(forLeaf peerLeaf: OpaquePointer) -> [Certificate]? {
        self.state.withLock { $0.presented(forLeaf: address(of: peerLeaf)) }
    }

    /// The certificates of `stack` (a `STACK_OF(X509)*`, leaf first) as ``Certificate`` objects: the cached chain's
    /// own when the stack holds exactly its certificates (as after a verification through the cache), else new
    /// ones.
    package func presentedCertificates(of stack: OpaquePointer) -> [Certificate] {
        let count = Int(gatehouse_sk_X509_num(stack))
        if count > 0, let leaf = gatehouse_sk_X509_value(stack, 0),
            let cached = self.presentedCertificates(forLeaf: leaf), cached.count == count,
            cached.indices.allSatisfy({ index in
                cached[index].withUnsafeX509 { $0 == gatehouse_sk_X509_value(stack, Int32(index)) }
            })
        {
            return cached
        }
        return (0..<count).compactMap { gatehouse_sk_X509_value(stack, Int32($0)).map { Certificate(copying: $0) } }
    }
}

/// An `X509*` as a number, to index by identity.
func address(of x509: OpaquePointer) -> UInt {
    UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(x509)))
}
