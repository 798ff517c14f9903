import COpenSSL
package import Foundation
package import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension VerifiedChainCache {
    /// One chain verified under one ``TrustGeneration``: the verified path, the window in which it stays valid,
    /// and the certificates as presented, shared by every connection that presents them.
    ///
    /// Immutable. A connection keeps a reference to its entry (``presented`` are then its peer certificates), and
    /// a policy whose trust generation is the entry's takes its verdict from it without verifying again.
    // @unchecked: the STACK_OF(X509) is built in init and only read (X509_chain_up_ref) until deinit frees it.
    package final class Entry: @unchecked Sendable {
        /// The trust material the chain was verified under.
        package let generation: TrustGeneration
        /// The SHA-256 over the presented certificates' SHA-256s, leaf first, as sent.
        package let key: SHA256Digest
        /// The SHA-256 of the leaf's DER, for a resumed session, which presents only its leaf.
        package let leafDigest: SHA256Digest
        /// The verified path, leaf first, trust anchor last.
        package let path: [Certificate]
        /// The chain as presented (leaf first, in the order sent) when every certificate of it is on the verified
        /// path; `nil` for a chain padded with others, which keeps only its path and verdict.
        package let presented: [Certificate]?
        /// The start of the window in which every CA certificate of the path (and every CRL checked) is valid.
        package let validFrom: Int
        /// The end of that window (a CA's notAfter, or a CRL's nextUpdate).
        package let validUntil: Int
        /// The leaf's own validity period: its time is every user's own check, not part of the shared verdict.
        let leafNotBefore: time_t
        let leafNotAfter: time_t
        /// Whether the leaf may authenticate a TLS client (`X509_check_purpose` for SSL clients), for the
        /// handshake, which checks the leaf's purpose; a policy checks it with its own rule.
        let leafIsClientCertificate: Bool
        /// The path as OpenSSL's handshake wants it (`SSL_get0_verified_chain`).
        let stack: OpaquePointer  // STACK_OF(X509)*, owned with one reference per certificate
        /// About the bytes the entry holds on its own (see ``VerificationCacheLimits``).
        let cost: Int
        /// What a user derives from the chain alone and shares among the connections that present it (a policy's
        /// decision on it), so that each of them keeps a reference instead of a copy. The user checks that a value
        /// found here is its own and still current; any user may replace it.
        package let derived = Mutex<(any AnyObject & Sendable)?>(nil)

        init(
            generation: TrustGeneration,
            key: SHA256Digest,
            leafDigest: SHA256Digest,
            path: [Certificate],
            presented: [Certificate]?,
            crls: [CertificateRevocationList],
            cost: Int
        ) {
            self.generation = generation
            self.key = key
            self.leafDigest = leafDigest
            self.path = path
            self.presented = presented
            self.cost = cost
            var validFrom = time_t.min
            var validUntil = time_t.max
            for certificate in path.dropFirst() {
                certificate.withUnsafeX509 { x509 in
                    validFrom = max(validFrom, epochSeconds(X509_get0_notBefore(x509)) ?? time_t.max)
                    validUntil = min(validUntil, epochSeconds(X509_get0_notAfter(x509)) ?? time_t.min)
                }
            }
            for crl in crls {
                validFrom = max(validFrom, time_t(crl.thisUpdate.timeIntervalSince1970))
                if let nextUpdate = crl.nextUpdate {
                    validUntil = min(validUntil, time_t(nextUpdate.timeIntervalSince1970))
                }
            }
            self.validFrom = Int(validFrom)
            self.validUntil = Int(validUntil)
            let leaf = path[0].withUnsafeX509 { x509 in
                (
                    notBefore: epochSeconds(X509_get0_notBefore(x509)) ?? time_t.max,
                    notAfter: epochSeconds(X509_get0_notAfter(x509)) ?? time_t.min,
                    isClientCertificate: X509_check_purpose(x509, X509_PURPOSE_SSL_CLIENT, 0) == 1
                )
            }
            self.leafNotBefore = leaf.notBefore
            self.leafNotAfter = leaf.notAfter
            self.leafIsClientCertificate = leaf.isClientCertificate
            guard let stack = gatehouse_sk_X509_new_null() else { preconditionFailure("out of memory") }
            for certificate in path {
                certificate.withUnsafeX509 { x509 in
                    X509_up_ref(x509)
                    _ = gatehouse_sk_X509_push(stack, x509)
                }
            }
            self.stack = stack
        }

        deinit { gatehouse_sk_X509_pop_free(self.stack) }

        /// Whether the path's CA certificates (and CRLs) are all valid at `now` (seconds since 1970).
        package func isValid(at now: Int) -> Bool { self.validFrom <= now && now <= self.validUntil }

        /// Whether the path's CA certificates (and CRLs) are all valid at `now`.
        package func isValid(at now: Date) -> Bool { self.isValid(at: Int(now.timeIntervalSince1970)) }

        /// The number of intermediate CA certificates between the leaf and the trust anchor.
        package var intermediateCount: Int { max(0, self.path.count - 2) }

        /// What a handshake's verification says of the leaf at `now`, as `X509_verify_cert` would: its purpose
        /// first, then its time (`X509_V_OK` when both pass).
        func handshakeLeafError(at now: time_t) -> Int32 {
            if !self.leafIsClientCertificate { return X509_V_ERR_INVALID_PURPOSE }
            if now < self.leafNotBefore { return X509_V_ERR_CERT_NOT_YET_VALID }
            if now > self.leafNotAfter { return X509_V_ERR_CERT_HAS_EXPIRED }
            return X509_V_OK
        }
    }
}

/// An `ASN1_TIME` as seconds since 1970, or `nil` when it cannot be read.
func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> time_t? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    return timegm(&parts)
}
