import COpenSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension VerifiedChainCache {
    /// What a handshake's verification through the cache found.
    package struct HandshakeVerification {
        /// What `X509_verify_cert` would return to the handshake: 1 to go on.
        package let result: Int32
        /// The chain's entry when it verified (its leaf may still fail the handshake's own time or purpose check).
        package let entry: Entry?
    }

    /// Verifies the chain in `storeContext` (an `X509_STORE_CTX*` OpenSSL prepared for a server's handshake) under
    /// `generation`, from the cache when it can; sets the error and verified chain on it as `X509_verify_cert`
    /// would.
    ///
    /// On a miss the chain is verified with the leaf's time and purpose forgiven (the shared verdict, stored when
    /// it holds), then the leaf is checked as OpenSSL would. A context that checks CRLs or no time bypasses the
    /// cache: its verdict is not the generation's.
    /// - Parameter failsOnError: whether a failed verification fails the handshake (`require`); otherwise the
    ///   handshake goes on and the verdict stays in the store context for `SSL_get_verify_result`.
    package func verifyHandshake(
        storeContext: OpaquePointer,
        generation: TrustGeneration,
        failsOnError: Bool
    ) -> HandshakeVerification {
        let param = X509_STORE_CTX_get0_param(storeContext)
        let flags = param.map { X509_VERIFY_PARAM_get_flags($0) } ?? 0
        let bypassFlags = UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_NO_CHECK_TIME)
        guard flags & bypassFlags == 0, let presented = PresentedChain(storeContext, hasher: self.hasher) else {
            self.state.withLock { $0.statistics.bypasses += 1 }
            return HandshakeVerification(result: X509_verify_cert(storeContext), entry: nil)
        }
        let now: time_t =
            flags & UInt(X509_V_FLAG_USE_CHECK_TIME) != 0 ? X509_VERIFY_PARAM_get_time(param) : time(nil)
        let (cached, intermediates) = self.state.withLock { state in
            let entry = state.lookup(presented.key, generation, at: Int(now))
            if entry != nil { state.statistics.hits += 1 }
            return (entry, state.intermediates(for: presented.digests))
        }
        if let cached {
            cached.share(into: storeContext)
            if let copy = X509_chain_up_ref(cached.stack) {
                X509_STORE_CTX_set0_verified_chain(storeContext, copy)
            }
            return self.finish(storeContext, entry: cached, at: now, failsOnError: failsOnError)
        }
        presented.adopt(intermediates)
        let callback = X509_STORE_CTX_get_verify_cb(storeContext)
        X509_STORE_CTX_set_verify_cb(storeContext, forgiveLeafTimeAndPurpose)
        let verified = X509_verify_cert(storeContext) == 1 && X509_STORE_CTX_get_error(storeContext) == X509_V_OK
        X509_STORE_CTX_set_verify_cb(storeContext, callback)
        guard verified, let chain = X509_STORE_CTX_get1_chain(storeContext) else {
            self.state.withLock { $0.statistics.misses += 1 }
            return HandshakeVerification(result: failsOnError ? 0 : 1, entry: nil)
        }
        defer { gatehouse_sk_X509_pop_free(chain) }
        let entry = presented.entry(verified: chain, generation: generation, intermediates: intermediates)
        self.state.withLock { state in
            state.statistics.misses += 1
            state.insert(entry, digests: presented.digests)
        }
        return self.finish(storeContext, entry: entry, at: now, failsOnError: failsOnError)
    }

    /// Sets the leaf's verdict at `now` on `storeContext` (the chain itself verified).
    private func finish(
        _ storeContext: OpaquePointer,
        entry: Entry,
        at now: time_t,
        failsOnError: Bool
    ) -> HandshakeVerification {
        let error = entry.handshakeLeafError(at: now)
        X509_STORE_CTX_set_error(storeContext, error)
        if error != X509_V_OK { X509_STORE_CTX_set_error_depth(storeContext, 0) }
        return HandshakeVerification(result: error == X509_V_OK || !failsOnError ? 1 : 0, entry: entry)
    }
}

/// Forgives the leaf's own notBefore/notAfter and purpose errors and stops at any other: the shared verdict.
private let forgiveLeafTimeAndPurpose: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, context in
    guard ok == 0, let context, X509_STORE_CTX_get_error_depth(context) == 0 else { return ok }
    switch X509_STORE_CTX_get_error(context) {
    case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_INVALID_PURPOSE:
        X509_STORE_CTX_set_error(context, X509_V_OK)
        return 1
    default:
        return 0
    }
}

extension VerifiedChainCache.Entry {
    /// Replaces the certificates this handshake parsed with the entry's (same DER, as the key says), so the
    /// session keeps a reference to shared objects and this handshake's copies are freed now, not at its end.
    func share(into storeContext: OpaquePointer) {
        guard let presented = self.presented, let untrusted = X509_STORE_CTX_get0_untrusted(storeContext),
            let leaf = X509_STORE_CTX_get0_cert(storeContext), gatehouse_sk_X509_value(untrusted, 0) == leaf,
            Int(gatehouse_sk_X509_num(untrusted)) == presented.count
        else { return }
        presented[0].withUnsafeX509 { X509_STORE_CTX_set_cert(storeContext, $0) }
        for (index, certificate) in presented.enumerated() {
            certificate.withUnsafeX509 { replace(in: untrusted, at: index, with: $0) }
        }
    }
}

/// Puts `shared` (one more reference) at `index` of `stack` and frees the reference to the certificate it held.
func replace(in stack: OpaquePointer, at index: Int, with shared: OpaquePointer) {
    guard gatehouse_sk_X509_value(stack, Int32(index)) != shared else { return }
    X509_up_ref(shared)
    X509_free(gatehouse_sk_X509_replace(stack, Int32(index), shared))
}
