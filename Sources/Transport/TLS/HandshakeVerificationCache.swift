import COpenSSL
package import Certificates
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
/// is the SHA-256 of the presented chain (the leaf's DER, then every untrusted certificate's, each
/// length-prefixed); the trust material is the owning ``TLSContext``'s and fixed for its life (a reload builds a
/// new context, hence a new cache). Only verified chains are stored, with the window in which every certificate of
/// the verified path (leaf to trust anchor) is valid: a hit re-checks only that window against the verification
/// time, then hands OpenSSL the cached verified path (`SSL_get0_verified_chain` stays right) and `X509_V_OK`
/// (`SSL_get_verify_result`). Outside the window, or on a miss, `X509_verify_cert` runs as OpenSSL would.
/// Failures are not stored: their verdict can change with time, and only chains from a trusted CA take a slot,
/// so clients cannot flood the cache. When the verification checks CRLs the cache is bypassed, so a revoked
/// certificate always fails. At most ``capacity`` chains are kept, evicted by the clock (second-chance) rule.
// @unchecked: the EVP_MD is fetched in init and only read; every mutable field is inside the Mutex.
package final class HandshakeVerificationCache: @unchecked Sendable {
    /// The default number of chains kept.
    package static let defaultCapacity = 10_000

    /// The most chains kept.
    package let capacity: Int
    private let sha256: OpaquePointer?  // EVP_MD*, owned
    private let state: Mutex<State>

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
    }

    /// Creates an empty cache holding at most `capacity` chains.
    package init(capacity: Int = HandshakeVerificationCache.defaultCapacity) {
        precondition(capacity > 0, "a verification cache needs room for one chain")
        self.capacity = capacity
        self.sha256 = EVP_MD_fetch(nil, "SHA256", nil)
        self.state = Mutex(State(capacity: capacity))
    }

    deinit { EVP_MD_free(self.sha256) }

    /// What the cache has done so far.
    package var statistics: Statistics {
        self.state.withLock { state in
            var statistics = state.statistics
            statistics.count = state.index.count
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
        guard flags & bypassFlags == 0, let key = self.key(of: storeContext) else {
            self.state.withLock { $0.statistics.bypasses += 1 }
            return X509_verify_cert(storeContext)
        }
        let now: time_t =
            flags & UInt(X509_V_FLAG_USE_CHECK_TIME) != 0 ? X509_VERIFY_PARAM_get_time(param) : time(nil)
        if let chain = self.state.withLock({ $0.lookup(key, at: now) }) {
            chain.share(into: storeContext)
            if let copy = X509_chain_up_ref(chain.stack) {
                X509_STORE_CTX_set0_verified_chain(storeContext, copy)
            }
            X509_STORE_CTX_set_error(storeContext, X509_V_OK)
            return 1
        }
        let result = X509_verify_cert(storeContext)
        if result == 1, X509_STORE_CTX_get_error(storeContext) == X509_V_OK,
            let verified = X509_STORE_CTX_get1_chain(storeContext)
        {
            let entry = VerifiedChain(takingOwnership: verified, presentedIn: storeContext)
            self.state.withLock { $0.insert(entry, for: key) }
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
        self.state.withLock { $0.presented(forLeaf: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(peerLeaf)))) }
    }

    /// SHA-256 over the leaf and the untrusted certificates the peer sent, each as its length then its DER.
    private func key(of storeContext: OpaquePointer) -> ChainKey? {
        guard let sha256 = self.sha256, let leaf = X509_STORE_CTX_get0_cert(storeContext),
            let digest = EVP_MD_CTX_new()
        else { return nil }
        defer { EVP_MD_CTX_free(digest) }
        guard EVP_DigestInit_ex(digest, sha256, nil) == 1, hashDER(of: leaf, into: digest) else { return nil }
        if let untrusted = X509_STORE_CTX_get0_untrusted(storeContext) {
            for index in 0..<gatehouse_sk_X509_num(untrusted) {
                guard let certificate = gatehouse_sk_X509_value(untrusted, index) else { continue }
                if index == 0 && certificate == leaf { continue }  // OpenSSL passes the leaf first in the stack
                guard hashDER(of: certificate, into: digest) else { return nil }
            }
        }
        var key = ChainKey()
        var length: UInt32 = 0
        let finished = withUnsafeMutableBytes(of: &key.words) { raw in
            EVP_DigestFinal_ex(digest, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
        }
        return finished == 1 && length == 32 ? key : nil
    }
}

/// Feeds one certificate's DER length and bytes to a digest.
private func hashDER(of certificate: OpaquePointer, into digest: OpaquePointer) -> Bool {
    var der: UnsafeMutablePointer<UInt8>? = nil
    let length = i2d_X509(certificate, &der)
    guard length > 0, let der else { return false }
    defer { CRYPTO_free(der, #fileID, #line) }
    var prefix = UInt32(length).bigEndian
    return withUnsafeBytes(of: &prefix) { EVP_DigestUpdate(digest, $0.baseAddress, 4) } == 1
        && EVP_DigestUpdate(digest, der, Int(length)) == 1
}

/// A SHA-256, as four words so that hashing and comparing it allocates nothing.
private struct ChainKey: Hashable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static func == (lhs: ChainKey, rhs: ChainKey) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
        hasher.combine(self.words.2)
        hasher.combine(self.words.3)
    }
}

/// A verified path (leaf first, trust anchor last), the window in which all its certificates are valid, and the
/// certificates as the peer presented them (parsed once, then shared by every session that presents them again).
// @unchecked: the STACK_OF(X509) is built in init and only read (X509_chain_up_ref) until deinit frees it.
private final class VerifiedChain: @unchecked Sendable {
    let stack: OpaquePointer  // STACK_OF(X509)*, owned with one reference per certificate
    let validFrom: time_t
    let validUntil: time_t
    /// The presented chain (leaf first, in the order sent) when OpenSSL passed it whole as the untrusted stack,
    /// as it does for a server's handshake.
    let presented: [Certificate]?

    init(takingOwnership stack: OpaquePointer, presentedIn storeContext: OpaquePointer) {
        self.stack = stack
        self.presented = presentedStack(storeContext).map { untrusted in
            (0..<gatehouse_sk_X509_num(untrusted)).compactMap { gatehouse_sk_X509_value(untrusted, $0) }
                .map { Certificate(copying: $0) }
        }
        var validFrom = time_t.min
        var validUntil = time_t.max
        for index in 0..<gatehouse_sk_X509_num(stack) {
            guard let certificate = gatehouse_sk_X509_value(stack, index) else { continue }
            validFrom = max(validFrom, epochSeconds(X509_get0_notBefore(certificate)) ?? time_t.max)
            validUntil = min(validUntil, epochSeconds(X509_get0_notAfter(certificate)) ?? time_t.min)
        }
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    deinit { gatehouse_sk_X509_pop_free(self.stack) }

    /// Replaces the certificates this handshake parsed with the cached ones (same DER, as the key says), so the
    /// session keeps a reference to shared objects and this handshake's copies are freed now, not at its end.
    func share(into storeContext: OpaquePointer) {
        guard let presented = self.presented, let untrusted = presentedStack(storeContext),
            Int(gatehouse_sk_X509_num(untrusted)) == presented.count
        else { return }
        presented[0].withUnsafeX509 { X509_STORE_CTX_set_cert(storeContext, $0) }
        for (index, certificate) in presented.enumerated() {
            certificate.withUnsafeX509 { shared in
                X509_up_ref(shared)
                X509_free(gatehouse_sk_X509_replace(untrusted, Int32(index), shared))
            }
        }
    }

    /// The `X509*` of the presented leaf, for finding a session's certificates.
    var presentedLeaf: UInt? {
        self.presented?.first?.withUnsafeX509 { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer($0))) }
    }
}

/// The untrusted stack of `storeContext` when it is the whole presented chain, leaf first (the server's case).
private func presentedStack(_ storeContext: OpaquePointer) -> OpaquePointer? {
    guard let leaf = X509_STORE_CTX_get0_cert(storeContext), let untrusted = X509_STORE_CTX_get0_untrusted(storeContext),
        gatehouse_sk_X509_num(untrusted) > 0, gatehouse_sk_X509_value(untrusted, 0) == leaf
    else { return nil }
    return untrusted
}

/// An `ASN1_TIME` as seconds since 1970, or `nil` when it cannot be read.
private func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> time_t? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    return timegm(&parts)
}

/// The cache's slots, index and clock hand, guarded by the cache's mutex.
private struct State: ~Copyable {
    struct Slot {
        let key: ChainKey
        let chain: VerifiedChain
        var referenced: Bool
    }

    let capacity: Int
    var slots: [Slot] = []
    var index: [ChainKey: Int] = [:]
    /// Slots by the address of their presented leaf's `X509`; the slot holds a reference, so no address is reused.
    var byLeaf: [UInt: Int] = [:]
    var hand = 0
    var statistics = HandshakeVerificationCache.Statistics()

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached chain for `key` if it is valid at `now`; counts a hit or (when stale) nothing yet.
    mutating func lookup(_ key: ChainKey, at now: time_t) -> VerifiedChain? {
        guard let slot = self.index[key] else { return nil }
        let chain = self.slots[slot].chain
        guard chain.validFrom <= now && now <= chain.validUntil else { return nil }
        self.slots[slot].referenced = true
        self.statistics.hits += 1
        return chain
    }

    /// The presented certificates of the slot whose presented leaf is at address `leaf`.
    func presented(forLeaf leaf: UInt) -> [Certificate]? {
        self.byLeaf[leaf].flatMap { self.slots[$0].chain.presented }
    }

    /// Stores `chain` under `key`, replacing an older entry for it or evicting the first slot the clock hand
    /// finds unreferenced since its last pass.
    mutating func insert(_ chain: VerifiedChain, for key: ChainKey) {
        self.statistics.misses += 1
        let slot: Int
        if let existing = self.index[key] {
            slot = existing
        } else if self.slots.count < self.capacity {
            slot = self.slots.count
        } else {
            while self.slots[self.hand].referenced {
                self.slots[self.hand].referenced = false
                self.hand = (self.hand + 1) % self.capacity
            }
            slot = self.hand
            self.hand = (self.hand + 1) % self.capacity
        }
        let entry = Slot(key: key, chain: chain, referenced: false)
        if slot < self.slots.count {
            let old = self.slots[slot]
            if let leaf = old.chain.presentedLeaf, self.byLeaf[leaf] == slot { self.byLeaf[leaf] = nil }
            self.index[old.key] = nil
            self.slots[slot] = entry
        } else {
            self.slots.append(entry)
        }
        self.index[key] = slot
        if let leaf = chain.presentedLeaf { self.byLeaf[leaf] = slot }
    }
}
