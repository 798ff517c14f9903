import COpenSSL

/// The chain a peer presented, as OpenSSL hands it to a server's verification: digests and, when it is the whole
/// presented chain, the stack that becomes the session's peer chain.
struct PresentedChain {
    /// SHA-256 over ``digests``: the cache key.
    let key: SHA256Digest
    /// The SHA-256 of each certificate's DER: the leaf, then every other certificate in the order sent.
    let digests: [SHA256Digest]
    /// The untrusted stack when it is the whole presented chain, leaf first (the server's case), so `digests[i]`
    /// is the digest of its element `i`.
    let stack: OpaquePointer?

    init?(_ storeContext: OpaquePointer, hasher: SHA256Hasher) {
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext) else { return nil }
        let untrusted = X509_STORE_CTX_get0_untrusted(storeContext)
        var certificates = [leaf]
        if let untrusted {
            for index in 0..<gatehouse_sk_X509_num(untrusted) {
                guard let certificate = gatehouse_sk_X509_value(untrusted, index) else { return nil }
                if index == 0 && certificate == leaf { continue }  // OpenSSL passes the leaf first in the stack
                certificates.append(certificate)
            }
        }
        var digests: [SHA256Digest] = []
        digests.reserveCapacity(certificates.count)
        for certificate in certificates {
            guard let digest = hasher.digest(x509: certificate) else { return nil }
            digests.append(digest)
        }
        guard let key = hasher.digest(chain: digests) else { return nil }
        self.key = key
        self.digests = digests
        let isWholeChain = untrusted.map {
            gatehouse_sk_X509_value($0, 0) == leaf && Int(gatehouse_sk_X509_num($0)) == digests.count
        }
        self.stack = isWholeChain == true ? untrusted : nil
    }

    /// Puts the already shared copy of each intermediate (`intermediates[i]` for `digests[i]`, `nil` when none)
    /// in place of the one this handshake parsed.
    func adopt(_ intermediates: [Certificate?]) {
        guard let stack = self.stack else { return }
        for (index, shared) in intermediates.enumerated() where index > 0 {
            shared?.withUnsafeX509 { replace(in: stack, at: index, with: $0) }
        }
    }

    /// The entry of this chain, verified into `verified` (a `STACK_OF(X509)*`, leaf first, borrowed): the
    /// presented certificates are kept (as ``Certificate`` objects the path reuses) only when all of them are on
    /// the path, and `intermediates` (the shared ones already adopted) are reused.
    func entry(
        verified: OpaquePointer,
        generation: TrustGeneration,
        intermediates: [Certificate?]
    ) -> VerifiedChainCache.Entry {
        let pathX509s = (0..<gatehouse_sk_X509_num(verified)).compactMap { gatehouse_sk_X509_value(verified, $0) }
        var presented: [Certificate]? = nil
        if let stack = self.stack {
            let x509s = (0..<gatehouse_sk_X509_num(stack)).compactMap { gatehouse_sk_X509_value(stack, $0) }
            let isOnPath = x509s.allSatisfy { x509 in pathX509s.contains { X509_cmp($0, x509) == 0 } }
            if isOnPath && x509s.count == self.digests.count {
                presented = x509s.enumerated().map { index, x509 in
                    if index < intermediates.count, let shared = intermediates[index],
                        shared.withUnsafeX509({ $0 == x509 })
                    {
                        return shared
                    }
                    return Certificate(copying: x509)
                }
            }
        }
        let path = pathX509s.map { x509 in
            presented?.first { $0.withUnsafeX509 { $0 == x509 } } ?? Certificate(copying: x509)
        }
        return VerifiedChainCache.Entry(
            generation: generation,
            key: self.key,
            leafDigest: self.digests[0],
            path: path,
            presented: presented,
            crls: [],
            cost: VerifiedChainCache.cost(of: path)
        )
    }
}
