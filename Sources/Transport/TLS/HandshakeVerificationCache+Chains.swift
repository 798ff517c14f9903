import COpenSSL
import GatehouseCertificates

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A SHA-256, as four words so that hashing and comparing it allocates nothing.
struct ChainKey: Hashable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static func == (lhs: ChainKey, rhs: ChainKey) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
        hasher.combine(self.words.2)
        hasher.combine(self.words.3)
    }
}

/// The chain a peer presented, as OpenSSL hands it to the verify callback: digests and, for a server's handshake,
/// the stack that becomes the session's peer chain.
struct PresentedChain {
    /// SHA-256 over ``digests``: the cache key.
    let key: ChainKey
    /// The SHA-256 of each certificate's DER: the leaf, then every other certificate in the order sent.
    let digests: [ChainKey]
    /// The untrusted stack when it is the whole presented chain, leaf first (the server's case), so `digests[i]`
    /// is the digest of its element `i`.
    let stack: OpaquePointer?

    init?(_ storeContext: OpaquePointer, sha256: OpaquePointer) {
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext), let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        let untrusted = X509_STORE_CTX_get0_untrusted(storeContext)
        var certificates = [leaf]
        if let untrusted {
            for index in 0..<gatehouse_sk_X509_num(untrusted) {
                guard let certificate = gatehouse_sk_X509_value(untrusted, index) else { return nil }
                if index == 0 && certificate == leaf { continue }  // OpenSSL passes the leaf first in the stack
                certificates.append(certificate)
            }
        }
        var digests: [ChainKey] = []
        digests.reserveCapacity(certificates.count)
        for certificate in certificates {
            guard let digest = derDigest(certificate, context: context, sha256: sha256) else { return nil }
            digests.append(digest)
        }
        var combined = ChainKey()
        let hashed = digests.withUnsafeBytes { raw in
            EVP_DigestInit_ex(context, sha256, nil) == 1 && EVP_DigestUpdate(context, raw.baseAddress, raw.count) == 1
        }
        guard hashed, finish(context, into: &combined) else { return nil }
        self.key = combined
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
}

/// Puts `shared` (one more reference) at `index` of `stack` and frees the reference to the certificate it held.
func replace(in stack: OpaquePointer, at index: Int, with shared: OpaquePointer) {
    guard gatehouse_sk_X509_value(stack, Int32(index)) != shared else { return }
    X509_up_ref(shared)
    X509_free(gatehouse_sk_X509_replace(stack, Int32(index), shared))
}

/// SHA-256 of one certificate's DER.
private func derDigest(_ certificate: OpaquePointer, context: OpaquePointer, sha256: OpaquePointer) -> ChainKey? {
    var der: UnsafeMutablePointer<UInt8>? = nil
    let length = i2d_X509(certificate, &der)
    guard length > 0, let der else { return nil }
    defer { CRYPTO_free(der, #fileID, #line) }
    var digest = ChainKey()
    guard EVP_DigestInit_ex(context, sha256, nil) == 1, EVP_DigestUpdate(context, der, Int(length)) == 1,
        finish(context, into: &digest)
    else { return nil }
    return digest
}

private func finish(_ context: OpaquePointer, into key: inout ChainKey) -> Bool {
    var length: UInt32 = 0
    let finished = withUnsafeMutableBytes(of: &key.words) { raw in
        EVP_DigestFinal_ex(context, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
    }
    return finished == 1 && length == 32
}

/// A verified path (leaf first, trust anchor last), the window in which all its certificates are valid, and the
/// certificates as the peer presented them (parsed once, then shared by every session that presents them again)
/// when each of them is on the path: a chain padded with other certificates keeps only its verdict and path.
// @unchecked: the STACK_OF(X509) is built in init and only read (X509_chain_up_ref) until deinit frees it.
final class VerifiedChain: @unchecked Sendable {
    let stack: OpaquePointer  // STACK_OF(X509)*, owned with one reference per certificate
    let validFrom: time_t
    let validUntil: time_t
    /// The presented chain (leaf first, in the order sent) when OpenSSL passed it whole (a server's handshake) and
    /// every certificate of it is on the verified path.
    let presented: [Certificate]?
    /// About what the entry holds, in bytes: its own parsed certificates (about 5.7 KiB plus twice the DER each;
    /// the trust anchor is the store's) and the rest.
    let cost: Int

    /// - Parameter intermediates: the shared certificates already adopted into `presented`'s stack.
    init(takingOwnership stack: OpaquePointer, presented: PresentedChain, intermediates: [Certificate?]) {
        self.stack = stack
        let isOnPath = presented.stack.map { untrusted in
            (0..<gatehouse_sk_X509_num(untrusted)).allSatisfy { index in
                guard let x509 = gatehouse_sk_X509_value(untrusted, index) else { return false }
                return (0..<gatehouse_sk_X509_num(stack)).contains {
                    X509_cmp(gatehouse_sk_X509_value(stack, $0), x509) == 0
                }
            }
        }
        self.presented =
            isOnPath != true
            ? nil
            : presented.stack.map { untrusted in
                (0..<Int(gatehouse_sk_X509_num(untrusted))).compactMap { index in
                    guard let x509 = gatehouse_sk_X509_value(untrusted, Int32(index)) else { return nil }
                    if index < intermediates.count, let shared = intermediates[index],
                        shared.withUnsafeX509({ $0 == x509 })
                    {
                        return shared
                    }
                    return Certificate(copying: x509)
                }
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
        let leafBytes = gatehouse_sk_X509_value(stack, 0).map { Int(i2d_X509($0, nil)) } ?? 0
        let ownBytes = self.presented?.reduce(0) { $0 + $1.derBytes.count } ?? leafBytes
        self.cost = 2 * ownBytes + 6 * 1024 * (self.presented?.count ?? 1) + 1024
    }

    deinit { gatehouse_sk_X509_pop_free(self.stack) }

    /// Replaces the certificates this handshake parsed with the cached ones (same DER, as the key says), so the
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

    /// The address of the presented leaf's `X509`, for finding a session's certificates.
    var presentedLeaf: UInt? { self.presented?.first?.withUnsafeX509 { address(of: $0) } }
}

/// An `ASN1_TIME` as seconds since 1970, or `nil` when it cannot be read.
private func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> time_t? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    return timegm(&parts)
}
